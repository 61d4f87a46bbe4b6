"""Past ``LANGUAGE_SAMPLE_BYTES`` of input a scan identifies the language of a sample of cells:
chosen by a hash of the text (the same cells whatever the workers or chunks), uniform, reported
as a sample, and ``--all-languages`` still identifies every cell."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from steward.datascan import batch
from steward.datascan.batch import BatchConfig, language_share_for, process_batch
from steward.datascan.report import render_text
from steward.datascan.scan import ScanOptions, scan
from steward.policy import load_policy

ENGLISH = "Order {n}: the parcel was left with the neighbour because nobody was at home that day."
FRENCH = "Commande {n} : le colis a été laissé chez la voisine parce que personne n'était là ce jour-là."


def _mixed_file(path: Path, rows: int) -> Path:
    """One French row in four, every text distinct (the row number is in it)."""
    with path.open("w", encoding="utf-8") as handle:
        for n in range(rows):
            text = (FRENCH if n % 4 == 0 else ENGLISH).format(n=n)
            handle.write(json.dumps({"id": n, "text": text}, ensure_ascii=False) + "\n")
    return path


def test_the_share_is_one_up_to_the_budget_and_the_budget_over_the_size_past_it() -> None:
    budget = batch.LANGUAGE_SAMPLE_BYTES
    assert language_share_for(0) == 1.0
    assert language_share_for(budget) == 1.0
    assert language_share_for(budget * 4) == pytest.approx(0.25)
    assert 0.0 < language_share_for(1 << 40) < 1e-5


def test_the_sample_is_uniform_and_a_repeated_text_is_always_in_or_always_out() -> None:
    config = BatchConfig(load_policy("pii-mask"), language_share=0.25)
    texts = [ENGLISH.format(n=n) for n in range(2000)]
    rows = [(n + 1, (("text", t), ("copy", t))) for n, t in enumerate(texts)]
    batch._CELLS.clear()
    results = process_batch(config, rows)
    identified = [r.cells[0].language is not None for r in results]
    assert 0.2 < sum(identified) / len(texts) < 0.3
    # the copy of a text gets the same decision; the ones identified are English
    assert all((r.cells[1].language is not None) == i for r, i in zip(results, identified, strict=True))
    assert {r.cells[0].language for r, i in zip(results, identified, strict=True) if i} == {"en"}
    # the choice depends on the text alone: the same cells in another batch, in another order
    again = process_batch(config, list(reversed(rows)))
    assert [r.cells[0].language is not None for r in reversed(again)] == identified


def test_a_large_scan_reports_a_sample_with_the_mix_of_the_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _mixed_file(tmp_path / "mixed.jsonl", 1200)
    size = path.stat().st_size
    policy = load_policy("pii-mask")
    everything = scan(path, ScanOptions(policy=policy, workers=1, all_languages=True))
    assert everything["language_share"] == 1.0  # the default budget is larger than this file
    text = everything["columns"]["text"]
    assert text["languages_identified"] == text["cells"] == 1200
    assert text["languages"]["fr"]["cells"] == 300 and text["languages"]["en"]["cells"] == 900

    monkeypatch.setattr(batch, "LANGUAGE_SAMPLE_BYTES", size // 3)
    sampled = scan(path, ScanOptions(policy=policy, workers=1, chunk_rows=500))
    assert sampled["language_share"] == pytest.approx((size // 3) / size)
    column = sampled["columns"]["text"]
    assert column["cells"] == 1200  # every cell is still checked by the guard
    assert 300 < column["languages_identified"] < 500
    assert column["languages"]["fr"]["share"] == pytest.approx(0.25, abs=0.06)
    # the same sample whatever the workers and chunks
    other = scan(path, ScanOptions(policy=policy, workers=2, chunk_rows=97))
    assert other["columns"]["text"]["languages"] == column["languages"]
    shown = render_text(sampled)
    assert "sample of the cells" in shown and f"a sample of {column['languages_identified']:,} cells" in shown
    # --all-languages still identifies every cell, whatever the size
    forced = scan(path, ScanOptions(policy=policy, workers=1, all_languages=True))
    assert forced["language_share"] == 1.0 and forced["columns"]["text"]["languages_identified"] == 1200
    assert "sample" not in render_text(forced)
    # a report stored before samples were taken (no language_share) still renders
    older = {k: v for k, v in forced.items() if k != "language_share"}
    assert render_text(older) == render_text(forced)


def test_no_languages_and_all_languages_together_are_refused(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = _mixed_file(tmp_path / "mixed.jsonl", 4)
    result = run("scan", str(path), "--no-languages", "--all-languages", code=2)
    assert "--no-languages and --all-languages" in result.output
    shown = run(
        "scan", str(path), "--policy", "pii-mask", "--workers", "1", "--all-languages", "--json"
    ).output
    assert json.loads(shown)["columns"]["text"]["languages"]["fr"]["cells"] == 1
