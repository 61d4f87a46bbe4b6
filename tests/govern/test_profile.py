from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from govern_builders import NOW

from steward.errors import InputError
from steward.govern.profile import profile_dataset

CSV = "age,sex,income,note\n30,F,>50K,call me at 555-123-4567\n40,M,<=50K,none\n30,F,>50K,call me at 555-123-4567\n50,M,?,write jane.doe@example.com\n"


def test_csv_with_header_is_measured(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text(CSV)
    p = profile_dataset(path, label="income", groups=["sex"], now=NOW)
    assert (p.rows, p.columns, p.exact_duplicate_rows) == (4, ["age", "sex", "income", "note"], 1)
    assert p.file_sha256 == hashlib.sha256(CSV.encode()).hexdigest() and p.bytes == len(CSV)
    assert p.label is not None and p.label.counts == {">50K": 2, "<=50K": 1} and p.label.missing == 1
    assert p.groups[0].counts == {"F": 2, "M": 2}
    assert p.pii_counts == {} and p.pii_policy is None


def test_pii_is_counted_per_type_never_shown(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text(CSV)
    p = profile_dataset(path, text_columns=["note"], now=NOW)
    assert p.pii_counts.get("EMAIL") == 1 and p.pii_counts.get("PHONE") == 2
    assert p.pii_rows_scanned == 4 and p.pii_rows_with_findings == 3
    dumped = p.model_dump_json()
    assert "jane.doe" not in dumped and "555-123" not in dumped


def test_pii_sample_is_capped_and_evenly_spread(tmp_path: Path) -> None:
    path = tmp_path / "many.csv"
    path.write_text("text\n" + "".join(f"row {i} mail a{i}@example.com\n" for i in range(50)))
    p = profile_dataset(path, text_columns=["text"], pii_sample=10, now=NOW)
    assert p.pii_rows_scanned == 10 and p.pii_counts["EMAIL"] == 10


def test_headerless_csv_with_columns_and_a_banner(tmp_path: Path) -> None:
    path = tmp_path / "adult.test"
    path.write_text("|1x3 Cross validator\n25, Male, <=50K.\n38, Female, >50K.\n")
    p = profile_dataset(path, columns=["age", "sex", "income"], skip_rows=1, label="income", now=NOW)
    assert p.rows == 2 and p.label is not None and p.label.counts == {"<=50K.": 1, ">50K.": 1}
    with pytest.raises(InputError, match="adult.test line 1: has 1 fields, expected 3"):
        profile_dataset(path, columns=["age", "sex", "income"], now=NOW)


def test_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl"
    path.write_text(
        json.dumps({"text": "a", "label": 1})
        + "\n\n"
        + json.dumps({"text": "b", "label": 0, "extra": [1]})
        + "\n"
    )
    p = profile_dataset(path, label="label", now=NOW)
    assert p.columns == ["text", "label", "extra"] and p.rows == 2
    assert p.label is not None and p.label.counts == {"0": 1, "1": 1}
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"a": 1}\n[1]\n')
    with pytest.raises(InputError, match="bad.jsonl line 2: must be a JSON object"):
        profile_dataset(bad, now=NOW)


def test_bad_inputs_name_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text(CSV)
    with pytest.raises(InputError, match="groups: names column 'gender'"):
        profile_dataset(path, groups=["gender"], now=NOW)
    with pytest.raises(InputError, match="pii_sample: must be between"):
        profile_dataset(path, pii_sample=-1, now=NOW)
    binary = tmp_path / "blob.csv"
    binary.write_bytes(b"a,b\n\xff\xfe,1\n")
    with pytest.raises(InputError, match="blob.csv: is not valid UTF-8"):
        profile_dataset(binary, now=NOW)
    with pytest.raises(InputError, match="cannot be read"):
        profile_dataset(tmp_path / "missing.csv", now=NOW)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InputError, match="has no header row"):
        profile_dataset(empty, now=NOW)
