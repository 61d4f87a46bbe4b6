"""``steward scrub``: masked copies in the same format, pseudonyms across files, the manifest, resume."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest
from datascan_data import count_batches, restore_batches

from steward.anonymize import PseudonymVault
from steward.datascan.scrub import ScrubOptions, scrub
from steward.policy import load_policy

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "governance"
AWS_KEY = "AKIAIOSFODNN7EXAMPLE"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _vault_options(tmp_path: Path, *, chunk_rows: int, checkpoint_seconds: float = 0) -> ScrubOptions:
    """Pseudonyms kept in a vault in ``tmp_path``, one worker: the resume tests' scrub."""
    return ScrubOptions(
        policy=load_policy("pii-mask"),
        pseudonyms=True,
        vault_path=tmp_path / "v.vault",
        vault_key="k",
        workers=1,
        chunk_rows=chunk_rows,
        checkpoint_seconds=checkpoint_seconds,
    )


def test_scrub_csv_with_tags_and_a_manifest_of_hashes(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "in.csv"
    src.write_text(
        "id,note\n1,mail jane.doe@example.com today\n2,nothing to see\n3,key " + AWS_KEY + " leaked\n"
    )
    out = tmp_path / "out.csv"
    result = run("scrub", str(src), str(out), "--policy", "pii-mask", "--workers", "1", "--json")
    manifest = json.loads(result.output)
    rows = list(csv.reader(out.read_text(encoding="utf-8").splitlines()))
    assert rows == [["id", "note"], ["1", "mail {EMAIL} today"], ["2", "nothing to see"]]
    assert manifest["input"]["sha256"] == sha(src)
    assert manifest["output"]["sha256"] == sha(out)
    assert manifest["policy"]["name"] == "pii-mask" and len(manifest["policy"]["sha256"]) == 64
    assert manifest["counts"]["rows_dropped"] == 1
    assert manifest["counts"]["blocked"] == {"AWS_ACCESS_KEY": 1}
    assert manifest["counts"]["pii"] == {"EMAIL": 1}
    assert json.loads((tmp_path / "out.csv.manifest.json").read_text()) == manifest
    assert not (tmp_path / "out.csv.parts").exists()
    assert "jane.doe" not in result.output


def test_flagged_rows_are_kept_masked_with_the_reason(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"t": "key " + AWS_KEY}) + "\n" + json.dumps({"t": "fine"}) + "\n")
    out = tmp_path / "out.jsonl"
    manifest = scrub(src, out, ScrubOptions(policy=load_policy("pii-mask"), on_block="flag", workers=1))
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows == [{"t": "key {AWS_ACCESS_KEY}", "steward_blocked": "AWS_ACCESS_KEY"}, {"t": "fine"}]
    assert manifest["counts"]["rows_flagged"] == 1


def test_pseudonyms_are_consistent_across_files_and_the_vault_restores_them(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    key = tmp_path / "vault.key"
    key.write_text("a passphrase only the user keeps\n")
    vault = tmp_path / "set.vault"
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("write to ann@example.org\nann@example.org again, and bo@example.org\n")
    second.write_text("cc bo@example.org\n")
    common = [
        "--policy",
        "pii-mask",
        "--pseudonyms",
        "--vault",
        str(vault),
        "--vault-key-file",
        str(key),
        "--workers",
        "1",
    ]
    run("scrub", str(first), str(tmp_path / "a.out.txt"), *common)
    run("scrub", str(second), str(tmp_path / "b.out.txt"), *common)
    assert (tmp_path / "a.out.txt").read_text() == "write to {EMAIL_1}\n{EMAIL_1} again, and {EMAIL_2}\n"
    assert (tmp_path / "b.out.txt").read_text() == "cc {EMAIL_2}\n"
    opened = PseudonymVault.open(vault.read_text().strip(), key.read_text().strip())
    assert opened.restore((tmp_path / "b.out.txt").read_text()) == second.read_text()
    assert "ann@example.org" not in vault.read_text()


def test_a_wrong_vault_key_is_refused_clearly(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "a.txt"
    src.write_text("write to ann@example.org\n")
    good, bad = tmp_path / "good.key", tmp_path / "bad.key"
    good.write_text("right")
    bad.write_text("wrong")
    vault = tmp_path / "v.vault"
    base = ["--policy", "pii-mask", "--pseudonyms", "--vault", str(vault), "--workers", "1"]
    run("scrub", str(src), str(tmp_path / "o1.txt"), *base, "--vault-key-file", str(good))
    before = vault.read_text()
    result = run("scrub", str(src), str(tmp_path / "o2.txt"), *base, "--vault-key-file", str(bad), code=5)
    assert "vault key is wrong" in result.output
    assert vault.read_text() == before  # the vault is untouched
    assert not (tmp_path / "o2.txt").exists()


def test_resume_after_an_interrupted_run(
    tmp_path: Path, presidio_jsonl: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = _vault_options(tmp_path, chunk_rows=20)
    clean = tmp_path / "clean.jsonl"
    expected = scrub(presidio_jsonl, clean, options)
    (tmp_path / "v.vault").unlink()  # start the interrupted run with a fresh vault, as the clean one did

    calls = count_batches(monkeypatch, die_after=2)  # the user pressed Ctrl-C during the third chunk
    out = tmp_path / "out.jsonl"
    with pytest.raises(KeyboardInterrupt):
        scrub(presidio_jsonl, out, options)
    state = json.loads((tmp_path / "out.jsonl.parts" / "state.json").read_text())
    assert state["chunks_done"] == 2
    assert not out.exists()

    from steward.errors import InputError

    with pytest.raises(InputError, match="add --resume"):
        scrub(presidio_jsonl, out, options)

    calls = count_batches(monkeypatch)
    resumed = scrub(presidio_jsonl, out, ScrubOptions(**{**options.__dict__, "resume": True}))
    assert len(calls) == 4  # 120 rows in chunks of 20: only the last four were checked again
    assert out.read_bytes() == clean.read_bytes()
    assert resumed["counts"] == expected["counts"]
    assert resumed["run"]["resumed_from_chunk"] == 2


def test_resume_with_another_key_or_input_is_refused(
    tmp_path: Path, presidio_jsonl: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from steward.errors import InputError

    options = _vault_options(tmp_path, chunk_rows=50)
    count_batches(monkeypatch, die_after=1)
    out = tmp_path / "out.jsonl"
    with pytest.raises(KeyboardInterrupt):
        scrub(presidio_jsonl, out, options)
    restore_batches(monkeypatch)
    with pytest.raises(InputError, match="vault key is wrong"):
        scrub(presidio_jsonl, out, ScrubOptions(**{**options.__dict__, "resume": True, "vault_key": "other"}))
    presidio_jsonl.write_text(presidio_jsonl.read_text() + '{"text": "one more"}\n')
    with pytest.raises(InputError, match="another input or with other options"):
        scrub(presidio_jsonl, out, ScrubOptions(**{**options.__dict__, "resume": True}))


def test_parquet_keeps_its_schema(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    src = tmp_path / "in.parquet"
    pq.write_table(pa.table({"n": [1, 2], "msg": ["mail bo@example.org", None]}), src)
    out = tmp_path / "out.parquet"
    scrub(src, out, ScrubOptions(policy=load_policy("pii-mask"), workers=1))
    table = pq.read_table(out)
    assert table.schema == pq.read_table(src).schema
    assert table.to_pylist() == [{"n": 1, "msg": "mail {EMAIL}"}, {"n": 2, "msg": None}]


def test_bad_options_are_clear(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "a.txt"
    src.write_text("hello\n")
    assert (
        "cannot flag rows of a plain-text file"
        in run("scrub", str(src), str(tmp_path / "o.txt"), "--on-block", "flag", code=5).output
    )
    assert "must not be the input file" in run("scrub", str(src), str(src), code=5).output
    assert (
        "need a vault key"
        in run(
            "scrub", str(src), str(tmp_path / "o.txt"), "--pseudonyms", "--vault", str(tmp_path / "v"), code=5
        ).output
    )


def test_evidence_is_recorded_for_a_system_and_datasheet(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("system", "add", str(EXAMPLE / "credit-prescreen.yaml"))
    run("dataset", "add", str(EXAMPLE / "adult-datasheet.yaml"))
    src = tmp_path / "in.txt"
    src.write_text("mail ann@example.org\n")
    out = tmp_path / "out.txt"
    run(
        "scrub",
        str(src),
        str(out),
        "--policy",
        "pii-mask",
        "--workers",
        "1",
        "--evidence",
        "credit-prescreen",
        "--dataset",
        "uci-adult",
    )
    records = json.loads(run("evidence", "list", "credit-prescreen", "--json").output)["evidence"]
    scans = [r for r in records if r["kind"] == "dataset-scan"]
    assert len(scans) == 1
    assert scans[0]["subject"] == "dataset:uci-adult"
    assert scans[0]["metrics"]["pii.EMAIL"] == 1
    assert scans[0]["inputs"] == {"in.txt": sha(src), "out.txt": sha(out)}


def test_nested_values_are_masked_and_unreadable_lines_skipped(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_bytes(
        json.dumps({"user": {"contact": ["ann@example.org", 3]}, "n": 1}).encode()
        + b"\n{broken\n"
        + b'{"t": "\xff"}\n'
    )
    out = tmp_path / "out.jsonl"
    manifest = scrub(src, out, ScrubOptions(policy=load_policy("pii-mask"), workers=1))
    assert [json.loads(x) for x in out.read_text().splitlines()] == [
        {"user": {"contact": ["{EMAIL}", 3]}, "n": 1}
    ]
    assert manifest["counts"]["lines_unreadable"] == {"is not valid JSON": 1, "is not valid UTF-8": 1}
    assert manifest["counts"]["rows_read"] == 1


def test_progress_bar_goes_to_stderr(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from steward.cli import main

    src = tmp_path / "a.txt"
    src.write_text("hello\n" * 50)
    result = CliRunner().invoke(
        main,
        ["scrub", str(src), str(tmp_path / "o.txt"), "--progress", "--workers", "1", "--policy", "pii-mask"],
    )
    assert result.exit_code == 0, result.output
    assert "scrubbing" in result.stderr and "100%" in result.stderr
    assert "scrubbing" not in result.stdout


def test_chunks_after_the_last_checkpoint_are_written_again(
    tmp_path: Path, presidio_jsonl: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = _vault_options(tmp_path, chunk_rows=30, checkpoint_seconds=3600)  # no checkpoint before Ctrl-C
    clean = tmp_path / "clean.jsonl"
    scrub(presidio_jsonl, clean, options)
    (tmp_path / "v.vault").unlink()
    count_batches(monkeypatch, die_after=2)
    out = tmp_path / "out.jsonl"
    with pytest.raises(KeyboardInterrupt):
        scrub(presidio_jsonl, out, options)
    assert json.loads((tmp_path / "out.jsonl.parts" / "state.json").read_text())["chunks_done"] == 0
    assert (tmp_path / "out.jsonl.parts" / "part-0000001").exists()  # written, but not checkpointed
    restore_batches(monkeypatch)
    resumed = scrub(presidio_jsonl, out, ScrubOptions(**{**options.__dict__, "resume": True}))
    assert resumed["run"]["resumed_from_chunk"] == 0
    assert out.read_bytes() == clean.read_bytes()
