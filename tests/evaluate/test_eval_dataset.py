"""Loading evaluation sets: good rows load, bad lines fail with the file and line named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from steward.assessment import Source
from steward.errors import InputError, InputTooLargeError
from steward.evaluate.dataset import MAX_LINE_BYTES, load_dataset
from steward.evaluate.spans import Span


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
        ('{"text": "x"}', 'line 2: needs a "label" (0 or 1) or "spans"'),
        ('{"text": "x", "label": null}', 'line 2: needs a "label" (0 or 1) or "spans"'),
        ('{"text": "abc", "spans": {"start": 0}}', 'line 2: "spans" must be a list'),
        ('{"text": "abc", "spans": ["NAME"]}', 'line 2: "spans[0]" must be an object'),
        (
            '{"text": "abc", "spans": [{"start": "0", "end": 2, "type": "NAME"}]}',
            "line 2: \"spans[0].start\" must be an integer, not '0'",
        ),
        (
            '{"text": "abc", "spans": [{"start": 0, "end": true, "type": "NAME"}]}',
            'line 2: "spans[0].end" must be an integer, not True',
        ),
        (
            '{"text": "abc", "spans": [{"start": -1, "end": 2, "type": "NAME"}]}',
            'line 2: "spans[0].start" must be 0 or more, not -1',
        ),
        (
            '{"text": "abc", "spans": [{"start": 0, "end": 1, "type": "A"}, {"start": 2, "end": 1, "type": "B"}]}',
            'line 2: "spans[1]": start 2 must be less than end 1',
        ),
        (
            '{"text": "abc", "spans": [{"start": 0, "end": 4, "type": "NAME"}]}',
            'line 2: "spans[0].end" 4 is beyond the end of the text (3 characters)',
        ),
        (
            '{"text": "abc", "spans": [{"start": 0, "end": 2, "type": ""}]}',
            "line 2: \"spans[0].type\" must be a non-empty string, not ''",
        ),
        ('{"text": "abc", "spans": [{"start": 0, "end": 2}]}', 'line 2: "spans[0].type" must be a non-empty'),
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


def test_context_without_source_is_checked_as_output(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        [
            json.dumps({"text": "answer", "label": 0, "context": "the source"}),
            json.dumps({"text": "answer", "label": 0, "context": "the source", "source": "input"}),
            json.dumps({"text": "answer", "label": 0, "context": "the source", "source": None}),
            json.dumps({"text": "question", "label": 0, "query": "a question alone"}),
        ],
    )
    assert [r.source for r in load_dataset(path)] == [
        Source.OUTPUT,
        Source.INPUT,
        Source.OUTPUT,
        Source.INPUT,
    ]


def test_spans_rows_load_and_imply_the_label(tmp_path: Path) -> None:
    text = "Mail ann@example.com now"
    path = _write(
        tmp_path,
        [
            json.dumps({"text": text, "spans": [{"start": 5, "end": 20, "type": "EMAIL"}]}),
            json.dumps({"text": "nothing personal", "spans": []}),
            json.dumps({"text": text, "label": 0, "spans": [{"start": 5, "end": 20, "type": "EMAIL"}]}),
            json.dumps({"text": "plain", "label": 1}),
        ],
    )
    rows = load_dataset(path)
    assert [r.label for r in rows] == [1, 0, 0, 1]  # a given label wins over the spans
    assert rows[0].spans == (Span(5, 20, "EMAIL"),) and rows[1].spans == () and rows[3].spans is None
    assert "spans" not in rows[0].tags


def test_take_rows_stops_at_the_limit_refuses_too_many_and_names_an_empty_split(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from steward.evaluate import dataset

    where = Path("set.jsonl")
    assert dataset.take_rows(iter(range(10)), where, split=None, limit=3) == [0, 1, 2]
    monkeypatch.setattr(dataset, "MAX_ROWS", 4)
    with pytest.raises(InputError, match="set.jsonl: has more than 4 rows; sample it with --limit"):
        dataset.take_rows(iter(range(10)), where, split=None, limit=None)
    assert dataset.take_rows(iter(range(10)), where, split=None, limit=4) == [0, 1, 2, 3]
    with pytest.raises(InputError, match="set.jsonl: holds no rows with split 'test'"):
        dataset.take_rows(iter([]), where, split="test", limit=None)
