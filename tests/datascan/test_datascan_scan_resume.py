"""``steward scan --resume`` and ``--evidence``: an interrupted scan carries on, its counts become evidence."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import pytest
from datascan_data import count_batches, presidio_rows

from steward.datascan.scan import ScanOptions, scan
from steward.errors import InputError
from steward.policy import load_policy

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "governance"


@pytest.fixture
def doubled(tmp_path: Path) -> Path:
    """60 presidio sentences, then the same 60 again: duplicates that straddle any interruption."""
    rows = presidio_rows(60)
    lines = [json.dumps({"id": i, "text": r["full_text"]}) + "\n" for i, r in enumerate(rows)]
    path = tmp_path / "doubled.jsonl"
    path.write_text("".join(lines + lines))
    return path


def _options(tmp_path: Path, **kw: object) -> ScanOptions:
    base = ScanOptions(
        policy=load_policy("pii-mask"),
        workers=1,
        chunk_rows=20,
        state_dir=tmp_path / "state",
        checkpoint_seconds=0,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def test_an_interrupted_scan_resumes_from_its_last_chunk_with_the_same_report(
    tmp_path: Path, doubled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = scan(doubled, _options(tmp_path))
    assert expected["duplicate_rows"] == 60 and expected["rows"] == 120
    assert not list((tmp_path / "state").iterdir())  # a finished scan leaves no state

    count_batches(monkeypatch, die_after=4)  # 80 rows summed: 20 of them repeat the first 60
    with pytest.raises(KeyboardInterrupt):
        scan(doubled, _options(tmp_path))
    [state_file] = (tmp_path / "state").glob("*.json")
    assert json.loads(state_file.read_text())["chunks_done"] == 4

    calls = count_batches(monkeypatch)
    resumed = scan(doubled, _options(tmp_path, resume=True))
    assert calls == [20, 20]  # only the last two chunks were checked again
    assert resumed == expected  # duplicates across the interruption included
    assert not list((tmp_path / "state").iterdir())


def test_other_options_start_afresh_and_a_damaged_state_is_refused(
    tmp_path: Path, doubled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    count_batches(monkeypatch, die_after=2)
    with pytest.raises(KeyboardInterrupt):
        scan(doubled, _options(tmp_path))
    calls = count_batches(monkeypatch)
    scan(doubled, _options(tmp_path, resume=True, chunk_rows=30))  # another scan: nothing to resume
    assert calls == [30, 30, 30, 30]

    [state_file] = (tmp_path / "state").glob("*.json")  # the chunk_rows=20 scan's, still waiting
    state_file.write_text("{not json")
    with pytest.raises(InputError, match="damaged scan state"):
        scan(doubled, _options(tmp_path, resume=True))
    with pytest.raises(InputError, match="state_dir"):
        scan(doubled, _options(tmp_path, resume=True, state_dir=None))


def test_scan_evidence_is_recorded_and_the_datasheet_lists_scans_and_scrubs(
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("STEWARD_DATA_DIR", str(tmp_path / "data"))
    run("system", "add", str(EXAMPLE / "credit-prescreen.yaml"))
    run("dataset", "add", str(EXAMPLE / "adult-datasheet.yaml"))
    src = tmp_path / "in.txt"
    src.write_text("mail ann@example.org\nmail bob@example.org\ncall +1 212 555 0100\n")
    scanned = run(
        "scan", str(src), "--policy", "pii-mask", "--workers", "1", "--resume",
        "--evidence", "credit-prescreen", "--dataset", "uci-adult",
    )  # fmt: skip
    assert "recorded ev-" in scanned.output
    run("scrub", str(src), str(tmp_path / "out.txt"), "--policy", "pii-mask", "--workers", "1",
        "--evidence", "credit-prescreen", "--dataset", "uci-adult")  # fmt: skip
    again = run("scan", str(src), "--policy", "pii-mask", "--workers", "1", "--evidence", "credit-prescreen",
                "--dataset", "uci-adult")  # fmt: skip
    assert "already recorded" in again.output  # the same scan of the same data: recorded once

    records = json.loads(run("evidence", "list", "credit-prescreen", "--json").output)["evidence"]
    scans = {r["name"]: r for r in records if r["kind"] == "dataset-scan"}
    assert set(scans) == {"scan in.txt", "scrub in.txt"}
    scan_ev = scans["scan in.txt"]
    assert scan_ev["subject"] == "dataset:uci-adult"
    assert scan_ev["metrics"]["rows"] == 3 and scan_ev["metrics"]["pii.EMAIL"] == 2
    assert scan_ev["inputs"] == {"in.txt": hashlib.sha256(src.read_bytes()).hexdigest()}

    sheet = run("dataset", "show", "uci-adult").output
    assert "Scans and scrubs" in sheet
    assert "scan in.txt" in sheet and "scrub in.txt" in sheet and scan_ev["id"] in sheet
    assert not list((tmp_path / "data" / "scan-state").iterdir())
