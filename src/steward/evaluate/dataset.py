"""Labelled evaluation sets: one JSON object per line, read with errors that name the line.

A row holds ``text`` and ``label`` (1 = should be caught, 0 = should pass) and may add
``source`` (input/output), ``category``, ``group`` (for fairness slices), ``split``
(train/test), ``untrusted`` (third-party content) and, for grounding, ``context`` and
``query``. Unknown fields are ignored so richer files (the challenge set) load as they are.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from steward.assessment import Source
from steward.errors import InputError, InputTooLargeError

__all__ = ["MAX_LINE_BYTES", "MAX_ROWS", "EvalRow", "load_dataset", "parse_row"]

#: A line longer than this is refused (the largest checkable text plus room for the JSON).
MAX_LINE_BYTES = 1 << 20
#: Rows read from one file at most; larger sets should be sampled with ``limit``.
MAX_ROWS = 500_000
#: Extra fields kept per row as tags, and the longest tag value kept.
MAX_TAGS = 32
MAX_TAG_CHARS = 200
_KNOWN = frozenset({"text", "label", "source", "category", "group", "split", "context", "query", "untrusted"})


@dataclass(frozen=True, slots=True)
class EvalRow:
    """One labelled example."""

    text: str
    label: int
    source: Source = Source.INPUT
    category: str | None = None
    group: str | None = None
    split: str | None = None
    context: str | None = None
    query: str | None = None
    untrusted: bool = False
    #: Where the row came from, for error messages: ``file.jsonl line 12``.
    origin: str = ""
    #: The row's other scalar fields as strings (``family``, ``kind``, ``carrier``...), for
    #: ``--by FIELD`` slices.
    tags: dict[str, str] = field(default_factory=dict)


def _optional_str(item: dict[str, Any], name: str, where: str) -> str | None:
    value = item.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(f'"{name}" must be a string, not {type(value).__name__}', field=where)
    return value


def parse_row(item: object, where: str) -> EvalRow:
    """Validate one decoded line; raise :class:`InputError` naming ``where`` and the field."""
    if not isinstance(item, dict):
        raise InputError(f"must be a JSON object, not {type(item).__name__}", field=where)
    text = item.get("text")
    if not isinstance(text, str):
        raise InputError('needs a "text" string', field=where)
    label = item.get("label")
    if isinstance(label, bool):
        label = int(label)
    if label not in (0, 1) or not isinstance(label, int):
        raise InputError(f'"label" must be 0 or 1, not {label!r}', field=where)
    try:
        source = Source.parse(item.get("source", "input"))
    except ValueError as exc:
        raise InputError(str(exc), field=where) from None
    untrusted = item.get("untrusted", False)
    if not isinstance(untrusted, bool):
        raise InputError('"untrusted" must be true or false', field=where)
    return EvalRow(
        text=text,
        label=label,
        source=source,
        category=_optional_str(item, "category", where),
        group=_optional_str(item, "group", where),
        split=_optional_str(item, "split", where),
        context=_optional_str(item, "context", where),
        query=_optional_str(item, "query", where),
        untrusted=untrusted,
        origin=where,
        tags=_tags(item),
    )


def _tags(item: dict[str, Any]) -> dict[str, str]:
    """Scalar fields beyond the known ones, as short strings (nested values are skipped)."""
    tags: dict[str, str] = {}
    for name, value in item.items():
        if name in _KNOWN or not isinstance(value, str | int | float | bool) or len(tags) >= MAX_TAGS:
            continue
        tags[str(name)] = str(value)[:MAX_TAG_CHARS]
    return tags


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror})", field=str(path)) from None
    with fh:
        yield from enumerate(fh, start=1)


def load_dataset(path: Path, *, split: str | None = None, limit: int | None = None) -> list[EvalRow]:
    """Read a JSONL evaluation set; keep only rows of ``split`` if given, at most ``limit`` rows.

    Blank lines are skipped. The first bad line stops the load with an error naming the
    file and line, because a silently skipped row would change every metric.
    """
    rows: list[EvalRow] = []
    for number, raw in _lines(path):
        where = f"{path.name} line {number}"
        if len(raw) > MAX_LINE_BYTES:
            raise InputTooLargeError(field=where, size=len(raw), limit=MAX_LINE_BYTES, unit="bytes")
        if not raw.strip():
            continue
        try:
            item = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise InputError(f"is not valid UTF-8 (byte {exc.start})", field=where) from None
        except json.JSONDecodeError as exc:
            raise InputError(f"is not valid JSON ({exc.msg} at column {exc.colno})", field=where) from None
        row = parse_row(item, where)
        if split is not None and row.split != split:
            continue
        rows.append(row)
        if limit is not None and len(rows) >= limit:
            break
        if len(rows) > MAX_ROWS:
            raise InputError(f"has more than {MAX_ROWS} rows; sample it with --limit", field=str(path))
    if not rows:
        wanted = f" with split {split!r}" if split is not None else ""
        raise InputError(f"holds no rows{wanted}", field=str(path))
    return rows
