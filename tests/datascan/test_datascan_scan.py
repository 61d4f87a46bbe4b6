"""``steward scan``: counts on real data slices, unreadable lines counted, clear errors, no raw values."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest
from datascan_data import presidio_rows

from steward.datascan.readers import LINE_MAX_BYTES, open_reader
from steward.datascan.scan import ScanOptions, scan
from steward.policy import load_policy


def test_scan_counts_pii_per_type_on_the_presidio_slice(run, presidio_jsonl: Path) -> None:  # type: ignore[no-untyped-def]
    out = run(
        "scan", str(presidio_jsonl), "--policy", "pii-mask", "--workers", "1", "--json", "--examples"
    ).output
    report = json.loads(out)
    assert report["rows"] == 120
    assert report["bad_lines"]["total"] == 0
    text = report["columns"]["text"]
    assert text["cells"] == 120
    # the slice holds credit cards, e-mail addresses and names (presidio's own labels say so)
    labels = Counter(s["entity_type"] for r in presidio_rows(120) for s in r["spans"])
    assert labels["CREDIT_CARD"] and labels["EMAIL_ADDRESS"] and labels["PERSON"]
    assert text["pii"]["CREDIT_DEBIT_CARD_NUMBER"] >= 1
    assert text["pii"]["EMAIL"] >= 1
    assert text["pii"]["NAME"] >= labels["PERSON"] // 2
    assert report["rows_with_pii"] >= 60
    assert text["languages"]["en"]["cells"] > 60
    assert "id" not in report["columns"]  # integers are not text
    # never a raw value: no labelled e-mail, card number or name appears, examples included
    for r in presidio_rows(120):
        for span in r["spans"]:
            if span["entity_type"] in ("EMAIL_ADDRESS", "CREDIT_CARD", "US_SSN"):
                assert span["entity_value"] not in out
    assert any("{EMAIL}" in s for s in report["examples"]["pii:EMAIL"])


def test_group_representation_against_a_reference(run, compas_csv: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    reference = tmp_path / "ref.json"
    reference.write_text(
        json.dumps({"African-American": 13, "Caucasian": 60, "Hispanic": 19, "Asian": 6, "Arctic": 2})
    )
    out = run(
        "scan",
        str(compas_csv),
        "--policy",
        "pii-mask",
        "--columns",
        "race",
        "--group",
        "race",
        "--reference",
        str(reference),
        "--workers",
        "1",
        "--no-languages",
        "--json",
    ).output
    report = json.loads(out)
    with compas_csv.open(encoding="utf-8") as handle:
        expected = Counter(row["race"] for row in csv.DictReader(handle))
    group = report["groups"]["race"]
    assert {r["value"]: r["count"] for r in group["values"] if r["count"]} == dict(expected)
    by_value = {r["value"]: r for r in group["values"]}
    aa = by_value["African-American"]
    assert aa["share"] == pytest.approx(expected["African-American"] / 400, abs=1e-4)
    assert aa["reference"] == 0.13
    assert aa["gap"] == pytest.approx(aa["share"] - 0.13, abs=1e-4)
    assert group["largest_gaps"][0]["value"] in ("African-American", "Caucasian")
    assert by_value["Other"]["reference"] == 0.0  # in the data, not in the reference
    assert by_value["Arctic"]["count"] == 0  # in the reference, not in the data
    assert by_value["Arctic"]["gap"] == -0.02


def test_unreadable_lines_are_counted_not_fatal(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "mixed.jsonl"
    lines = [
        b'{"text": "write to jane.doe@example.com"}',
        b'{"text": "bad \xff\xfe bytes"}',
        b'{"text": "unterminated',
        b'["not", "an", "object"]',
        b'{"text": "' + b"a" * (LINE_MAX_BYTES + 10) + b'"}',
        b'{"text": "write to jane.doe@example.com"}',
        b'{"text": "last line"}',
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    report = json.loads(run("scan", str(path), "--policy", "pii-mask", "--workers", "1", "--json").output)
    assert report["rows"] == 3
    assert report["duplicate_rows"] == 1
    assert report["bad_lines"]["total"] == 4
    reasons = {item["line"]: item["reason"] for item in report["bad_lines"]["first"]}
    assert reasons[2].startswith("is not valid UTF-8")
    assert reasons[3].startswith("is not valid JSON")
    assert reasons[4] == "must be a JSON object, not list"
    assert reasons[5] == f"is over {LINE_MAX_BYTES} bytes"
    assert report["overall"]["pii"] == {"EMAIL": 2}


def test_csv_rows_with_the_wrong_width_are_counted(tmp_path: Path) -> None:
    path = tmp_path / "w.csv"
    path.write_text('name,note\nann,"hi, call +1 415 555 0132"\nbob\ncy,ok,extra\ndee,fine\n')
    report = scan(path, ScanOptions(policy=load_policy("pii-mask"), workers=1, languages=False))
    assert report["rows"] == 2
    assert report["bad_lines"]["by_reason"] == {"has 1 fields, expected 2": 1, "has 3 fields, expected 2": 1}
    assert report["columns"]["note"]["pii"] == {"PHONE": 1}


def test_parquet_strings_are_scanned_and_numbers_left_alone(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "d.parquet"
    table = pa.table({"n": [1, 2, 3], "msg": ["mail bo@example.org", None, "nothing here"]})
    pq.write_table(table, path)
    report = scan(path, ScanOptions(policy=load_policy("pii-mask"), workers=1, languages=False))
    assert report["rows"] == 3
    assert report["columns"]["msg"]["pii"] == {"EMAIL": 1}
    assert "n" not in report["columns"]


def test_a_directory_is_scanned_file_by_file(tmp_path: Path) -> None:
    folder = tmp_path / "set"
    (folder / "b").mkdir(parents=True)
    (folder / "a.txt").write_text("call me on +1 415 555 0132\nhello\n")
    (folder / "b" / "c.txt").write_text("hello\n")
    report = scan(folder, ScanOptions(policy=load_policy("pii-mask"), workers=1, languages=False))
    assert [Path(f).name for f in report["files"]] == ["a.txt", "c.txt"]
    assert report["rows"] == 3
    assert report["duplicate_rows"] == 1


def test_two_processes_give_the_same_report_as_one(presidio_jsonl: Path) -> None:
    options = {"policy": load_policy("pii-mask"), "chunk_rows": 25, "groups": ["id"]}
    one = scan(presidio_jsonl, ScanOptions(workers=1, **options))  # type: ignore[arg-type]
    two = scan(presidio_jsonl, ScanOptions(workers=2, **options))  # type: ignore[arg-type]
    assert one == two


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["missing.csv"], 5, "does not exist"),
        (["{csv}", "--columns", "nope"], 5, "names column(s) nope not in"),
        (["{csv}", "--format", "xml"], 2, "Invalid value for '--format'"),
        (["{csv}", "--reference", "{csv}"], 5, "needs exactly one --group"),
        (["{csv}", "--group", "race", "--reference", "{bad}"], 5, "must map each group value"),
        (["{csv}", "--policy", "no-such-pack"], 4, "no policy file or pack"),
        (["{bin}"], 5, "no known data-file ending"),
        (["{bin}", "--format", "parquet"], 5, "is not a readable Parquet file"),
    ],
)
def test_clear_errors(
    run, compas_csv: Path, tmp_path: Path, args: list[str], code: int, message: str
) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    blob = tmp_path / "blob.bin"
    blob.write_bytes(b"\x00\x01 not a data file")
    filled = [a.format(csv=compas_csv, bad=bad, bin=blob) for a in args]
    result = run("scan", *filled, "--workers", "1", code=code)
    assert message in result.output
    assert "Traceback" not in result.output


def test_the_reader_streams_in_numbered_chunks(compas_csv: Path) -> None:
    reader = open_reader(compas_csv)
    chunks = list(reader.chunks(150))
    assert [c.index for c in chunks] == [0, 1, 2]
    assert [len(c.records) for c in chunks] == [150, 150, 100]
    assert sum(c.size for c in chunks) == compas_csv.stat().st_size
    assert "decile_score.2" in reader.columns  # COMPAS repeats two column names


def test_parquet_chunks_account_for_the_whole_file(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "d.parquet"
    pq.write_table(pa.table({"msg": [f"row {i}" for i in range(7)]}), path)
    chunks = list(open_reader(path).chunks(3))
    assert [len(c.records) for c in chunks] == [3, 3, 1]
    assert sum(c.size for c in chunks) == path.stat().st_size  # the progress bar ends at 100%


def test_examples_are_short_and_masked(tmp_path: Path) -> None:
    from steward.datascan.batch import HARMFUL, Hit
    from steward.datascan.report import EXAMPLE_MAX_CHARS, ScanStats
    from steward.guard import Guard

    text = "Reach me at ann@example.org. " + "This paragraph goes on and on. " * 20
    stats = ScanStats(format="text")
    whole = Hit(HARMFUL, "VIOLENCE", 0, len(text), 0.9, mask=False, blocks=True)
    spans = list(Guard(load_policy("pii-mask")).apply(text, "input").findings)
    stats.add_example(whole, text, spans)
    (example,) = stats.examples["harmful:VIOLENCE"]
    assert example.startswith("Reach me at {EMAIL}.")
    assert "ann@" not in example
    assert len(example) <= EXAMPLE_MAX_CHARS + 1


def test_a_csv_field_as_long_as_the_line_limit_allows_is_read(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    long_text = "x" * 150_000 + " mail ann@example.org"
    path.write_text(f"id,text\n1,{long_text}\n2,{'y' * (LINE_MAX_BYTES + 5)}\n")
    report = scan(path, ScanOptions(policy=load_policy("pii-mask"), workers=1, languages=False))
    assert report["rows"] == 1
    assert report["columns"]["text"]["pii"] == {"EMAIL": 1}
    assert report["bad_lines"]["first"] == [
        {"file": "long.csv", "line": 3, "reason": f"is over {LINE_MAX_BYTES} bytes"}
    ]
