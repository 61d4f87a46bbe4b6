"""Loading evaluation sets: good rows load, bad lines fail with the file and line named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from steward.assessment import Source
from steward.errors import InputError, InputTooLargeError
from steward.evaluate.dataset import MAX_LINE_BYTES, load_dataset


def _write(tmp_path: Path, lines: list[str], name: str = "set.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_rows_load_with_optional_fields(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        [
            json.dumps({"text": "hello", "label": 0}),
            "",
            json.dumps(
                {
                    "text": "answer",
                    "label": True,
                    "source": "OUTPUT",
                    "category": "GROUNDING",
                    "group": "age:old",
                    "context": "the source",
                    "query": "the question",
                    "untrusted": True,
                    "extra": [1, 2],
                }
            ),
        ],
    )
    rows = load_dataset(path)
    assert len(rows) == 2
    assert rows[0].source is Source.INPUT and rows[0].label == 0 and rows[0].category is None
    second = rows[1]
    assert (second.label, second.source, second.group, second.context, second.query) == (
        1,
        Source.OUTPUT,
        "age:old",
        "the source",
        "the question",
    )
    assert second.untrusted is True
    assert second.origin == "set.jsonl line 3"


def test_split_and_limit(tmp_path: Path) -> None:
    lines = [
        json.dumps({"text": f"t{i}", "label": i % 2, "split": "test" if i < 4 else "train"}) for i in range(8)
    ]
    path = _write(tmp_path, lines)
    assert [r.text for r in load_dataset(path, split="test")] == ["t0", "t1", "t2", "t3"]
    assert [r.text for r in load_dataset(path, split="train", limit=2)] == ["t4", "t5"]
    with pytest.raises(InputError, match="no rows with split 'dev'"):
        load_dataset(path, split="dev")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "line 2: is not valid JSON"),
        ('["a list"]', "line 2: must be a JSON object, not list"),
        ('{"label": 1}', 'line 2: needs a "text" string'),
        ('{"text": 5, "label": 1}', 'line 2: needs a "text" string'),
        ('{"text": "x"}', 'line 2: "label" must be 0 or 1, not None'),
        ('{"text": "x", "label": 2}', 'line 2: "label" must be 0 or 1, not 2'),
        ('{"text": "x", "label": "1"}', "line 2: \"label\" must be 0 or 1, not '1'"),
        ('{"text": "x", "label": 1, "source": "system"}', "line 2: source must be 'input' or 'output'"),
        ('{"text": "x", "label": 1, "group": 3}', 'line 2: "group" must be a string, not int'),
        ('{"text": "x", "label": 1, "untrusted": "yes"}', 'line 2: "untrusted" must be true or false'),
    ],
)
def test_bad_lines_name_the_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    path = _write(tmp_path, [json.dumps({"text": "fine", "label": 0}), line])
    with pytest.raises(InputError) as err:
        load_dataset(path)
    assert str(err.value).startswith("set.jsonl " + message.split(":")[0])
    assert message.split(": ", 1)[1] in str(err.value)


def test_invalid_utf8_and_huge_lines(tmp_path: Path) -> None:
    path = tmp_path / "bytes.jsonl"
    path.write_bytes(b'{"text": "\xff\xfe", "label": 1}\n')
    with pytest.raises(InputError, match="bytes.jsonl line 1: is not valid UTF-8"):
        load_dataset(path)
    path.write_bytes(b'{"text": "' + b"a" * MAX_LINE_BYTES + b'", "label": 1}\n')
    with pytest.raises(InputTooLargeError, match="line 1: is .* bytes, over the limit"):
        load_dataset(path)


def test_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot be read"):
        load_dataset(tmp_path / "absent.jsonl")
    with pytest.raises(InputError, match="holds no rows"):
        load_dataset(_write(tmp_path, [""]))


def test_extra_scalar_fields_become_tags(tmp_path: Path) -> None:
    row = {
        "text": "x",
        "label": 1,
        "family": "f1",
        "position": "end",
        "n": 3,
        "nested": {"a": 1},
        "flag": True,
    }
    path = _write(tmp_path, [json.dumps(row)])
    (loaded,) = load_dataset(path)
    assert loaded.tags == {"family": "f1", "position": "end", "n": "3", "flag": "True"}
