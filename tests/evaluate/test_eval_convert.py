"""Converters on small real slices of the shared data: labels, fields, determinism, limits."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from steward.cli import main
from steward.errors import InputError
from steward.evaluate.convert import CONVERTERS, convert, write_jsonl
from steward.evaluate.convert._io import even_sample, stratified_sample
from steward.evaluate.dataset import load_dataset

DATA = Path(os.environ.get("STEWARD_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))


def test_even_sample_is_spread_and_deterministic() -> None:
    assert even_sample(list(range(10)), 5) == [0, 2, 4, 6, 8]
    assert even_sample(list(range(3)), 10) == [0, 1, 2]
    assert even_sample(list(range(3)), None) == [0, 1, 2]


def test_stratified_sample_keeps_alternating_labels_balanced() -> None:
    rows = [{"label": i % 2, "i": i} for i in range(100)]
    sample = stratified_sample(rows, 10)
    assert Counter(r["label"] for r in sample) == {0: 5, 1: 5}
    assert [r["i"] for r in sample] == sorted(r["i"] for r in sample)


@pytest.mark.parametrize("name", sorted(CONVERTERS))
def test_every_converter_gives_loadable_tagged_rows(name: str, tmp_path: Path) -> None:
    rows = convert(name, DATA, limit=40)
    assert 0 < len(rows) <= 40
    assert rows == convert(name, DATA, limit=40)  # deterministic
    for row in rows:
        assert row["dataset"] == name and row["ref"]
        assert row["label"] in (0, 1) and isinstance(row["text"], str) and row["text"].strip()
    path = tmp_path / f"{name}.jsonl"
    assert write_jsonl(rows, path) == len(rows)
    loaded = load_dataset(path)
    assert [r.label for r in loaded] == [r["label"] for r in rows]


def test_davidson_labels_follow_the_majority_class() -> None:
    rows = convert("davidson", DATA)
    by_category = Counter((r["category"], r["label"]) for r in rows)
    # the README's class counts: 1,430 hate, 19,190 offensive, 4,163 neither
    assert by_category == {("HATE", 1): 1430, ("INSULTS", 1): 19190, ("BENIGN", 0): 4163}


def test_bipia_pairs_clean_and_injected_contexts() -> None:
    rows = [r for r in convert("bipia", DATA) if r["split"] == "test"]
    clean = [r for r in rows if r["label"] == 0]
    attacked = [r for r in rows if r["label"] == 1]
    assert len(clean) == len(attacked) == 200  # 50 email + 100 table + 50 code test contexts
    assert {r["position"] for r in attacked} == {"start", "middle", "end"}
    assert {r["carrier"] for r in attacked} == {"email", "table", "code"}
    assert all(r["untrusted"] for r in rows)
    first_clean, first_attacked = clean[0]["text"], attacked[0]
    assert first_attacked["position"] == "start" and first_attacked["text"].endswith(first_clean)
    # code contexts are list literals in the source; they come out as plain lines
    code = next(r for r in clean if r["carrier"] == "code")
    assert not code["text"].startswith("['")


def test_grounding_rows_carry_context_and_query() -> None:
    rows = convert("halueval_qa", DATA, limit=10)
    assert Counter(r["label"] for r in rows) == {0: 5, 1: 5}
    assert all(r["source"] == "output" and r["context"] and r["query"] for r in rows)
    general = convert("halueval_general", DATA)
    assert Counter(r["label"] for r in general) == {0: 3692, 1: 815}


def test_gptfuzz_is_output_side_with_the_source_split() -> None:
    rows = convert("gptfuzz", DATA)
    assert {r["source"] for r in rows} == {"output"}
    assert Counter(r["split"] for r in rows) == {"train": 6160, "test": 1540}


def test_non_commercial_sets_are_marked_evaluation_only() -> None:
    for name in ("alpaca", "do_not_answer", "tensor_trust"):
        assert all("evaluation only" in r["licence"] for r in convert(name, DATA, limit=5))


def test_tensor_trust_attacks_and_access_codes() -> None:
    rows = convert("tensor_trust", DATA)
    kinds = Counter((r["kind"], r["label"]) for r in rows)
    assert set(kinds) == {("injection", 1), ("access_code", 0)}
    assert len({(r["text"], r["label"]) for r in rows}) == len(rows)


def test_unknown_converter_and_missing_data(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown converter .*choose from advbench"):
        convert("nope", DATA)
    with pytest.raises(InputError, match="harmful_behaviors.csv: is missing"):
        convert("advbench", tmp_path)


def test_cli_eval_convert(tmp_path: Path) -> None:
    out = tmp_path / "fq.jsonl"
    runner = CliRunner()
    result = runner.invoke(
        main, ["eval-convert", "forbidden_questions", str(out), "--data-dir", str(DATA), "--limit", "12"]
    )
    assert result.exit_code == 0, result.output
    assert "wrote 12 rows (12 label 1, 0 label 0)" in result.stdout
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 12 and all(r["dataset"] == "forbidden_questions" for r in lines)
    listing = runner.invoke(main, ["eval-convert", "--list"])
    assert listing.exit_code == 0 and "halueval_qa" in listing.stdout
    missing = runner.invoke(main, ["eval-convert", "advbench", str(out), "--data-dir", str(tmp_path)])
    assert missing.exit_code == 5 and "is missing" in missing.stderr
    assert runner.invoke(main, ["eval-convert", "advbench"]).exit_code == 2
