"""Reading prediction tables: CSV, JSON Lines and Parquet agree; every bad file gets a named error."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from fairness_data import compas

from steward.errors import InputError
from steward.fairness.audit import audit
from steward.fairness.tables import binary_column, group_column, read_table, require_columns, score_column


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return compas().head(600)[["sex", "race", "label", "decision", "score"]].reset_index(drop=True)


def _audit(frame: pd.DataFrame) -> dict[str, object]:
    where = "t"
    return audit(
        binary_column(frame, "label", where=where),
        binary_column(frame, "decision", where=where),
        {"race": group_column(frame, "race")},
        scores=score_column(frame, "score", where=where),
        resamples=20,
    ).to_dict()


def test_csv_jsonl_and_parquet_give_the_same_report(sample: pd.DataFrame, tmp_path: Path) -> None:
    sample.to_csv(tmp_path / "p.csv", index=False)
    sample.to_json(tmp_path / "p.jsonl", orient="records", lines=True)
    sample.to_parquet(tmp_path / "p.parquet", engine="pyarrow")
    reports = [_audit(read_table(tmp_path / f"p.{suffix}")) for suffix in ("csv", "jsonl", "parquet")]
    assert reports[0] == reports[1] == reports[2]


def test_a_headerless_csv_takes_column_names(tmp_path: Path) -> None:
    path = tmp_path / "rows.txt"
    path.write_text("banner\nMale, 1, 0\nFemale, 0, 0\n")
    frame = read_table(path, fmt="csv", columns=["sex", "label", "decision"], skip_rows=1)
    assert list(frame.columns) == ["sex", "label", "decision"] and frame["sex"].tolist() == ["Male", "Female"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "is empty"),
        ("header.csv", b"a,b\n", "holds no rows"),
        ("latin1.csv", b"sex,label\nF\xe9minin,1\n", "is not valid UTF-8"),
        ("bad.jsonl", b'{"a": 1}\n{"a": \n', "line 2 is not valid JSON"),
        ("list.jsonl", b"[1, 2]\n", "line 1 is not a JSON object"),
        ("notparquet.parquet", b"sex,label\nF,1\n", "is not a valid parquet table"),
        ("predictions.xlsx", b"x", "has no known table suffix"),
    ],
)
def test_unusable_files_are_named(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as caught:
        read_table(path)
    assert name in str(caught.value)


def test_a_file_over_the_limit_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text("a\n" + "1\n" * 100)
    with pytest.raises(InputError, match="over the limit of 50 bytes"):
        read_table(path, max_bytes=50)


def test_columns_labels_and_scores_are_checked(sample: pd.DataFrame) -> None:
    with pytest.raises(InputError, match=r"has no column 'gender', 'y' \(columns: sex, race"):
        require_columns(sample, ["sex", "gender", "y"], where="p.csv")
    three = pd.DataFrame({"risk": ["Low", "Medium", "High"]})
    with pytest.raises(InputError, match="column 'risk' is not binary: values 'High', 'Low', 'Medium'"):
        binary_column(three, "risk", where="p.csv")
    assert binary_column(three, "risk", where="p.csv", positive=["High", "Medium"]).tolist() == [0, 1, 1]
    words = pd.DataFrame({"y": ["true", "False", "1", "0"]})
    assert binary_column(words, "y", where="p.csv").tolist() == [1, 0, 1, 0]
    with pytest.raises(InputError, match="column 'y' has 1 missing value"):
        binary_column(pd.DataFrame({"y": [1, None]}), "y", where="p.csv")
    with pytest.raises(InputError, match=r"not a probability: values run from 1 to 10"):
        score_column(pd.DataFrame({"s": [1, 10]}), "s", where="p.csv")
    with pytest.raises(InputError, match="1 value\\(s\\) that are not numbers"):
        score_column(pd.DataFrame({"s": ["0.5", "high"]}), "s", where="p.csv")
    assert group_column(pd.DataFrame({"g": ["a", None]}), "g").tolist() == ["a", "(missing)"]
