"""Identity-term evaluation sets: JSONL or CSV rows with text, label and identity column(s).

A row is the same as for ``steward eval`` (:func:`steward.evaluate.dataset.parse_row`) plus the
identities it mentions, read from the columns named with ``--identity``. Each column is read
by its values, row by row:

* a number or boolean (``1``, ``0.8``, ``true``) marks membership of the identity named by the
  column (the Jigsaw layout: one column per identity, ``>= 0.5`` = mentioned);
* any other text names the identities itself, several joined by ``|`` (``lgbtq|trans``);
  a JSON list of strings does the same;
* empty or missing: the row mentions none through this column.

A row that mentions no identity is background for every identity, which is what BPSN and
BNSP compare against.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from steward.errors import InputError, InputTooLargeError
from steward.evaluate.convert.identity import IDENTITY_SEPARATOR
from steward.evaluate.dataset import MAX_LINE_BYTES, EvalRow, jsonl_items, parse_row, take_rows

__all__ = ["MAX_FILE_BYTES", "MAX_IDENTITIES", "BiasRow", "identities_of", "load_bias_rows"]

#: A CSV file larger than this is refused (JSONL is read line by line under the row limits).
MAX_FILE_BYTES = 512 << 20
#: Distinct identity terms one report may hold.
MAX_IDENTITIES = 1000
#: Longest identity term kept.
MAX_TERM_CHARS = 100
_FLAG_WORDS = {"true": 1.0, "false": 0.0, "yes": 1.0, "no": 0.0}


@dataclass(frozen=True, slots=True)
class BiasRow:
    """One labelled row and the identity terms it mentions."""

    row: EvalRow
    identities: frozenset[str]


def _flag(value: Any) -> float | None:
    """The membership degree of a flag value, or ``None`` when the value is not a flag."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _FLAG_WORDS:
            return _FLAG_WORDS[word]
        try:
            return float(word)
        except ValueError:
            return None
    return None


def identities_of(item: Mapping[str, Any], columns: Sequence[str], where: str) -> frozenset[str]:
    """The identity terms ``item`` mentions through ``columns`` (see the module docstring)."""
    found: set[str] = set()
    for column in columns:
        value = item.get(column)
        if value is None or value == "":
            continue
        if isinstance(value, list):
            if not all(isinstance(v, str) for v in value):
                raise InputError(f'"{column}" must list strings', field=where)
            terms = [v.strip() for v in value]
        elif (degree := _flag(value)) is not None:
            if degree != degree:  # NaN
                raise InputError(f'"{column}" is not a number', field=where)
            terms = [column] if degree >= 0.5 else []
        elif isinstance(value, str):
            terms = [t.strip() for t in value.split(IDENTITY_SEPARATOR)]
        else:
            raise InputError(
                f'"{column}" must be a string, a number or a list, not {type(value).__name__}', field=where
            )
        for term in terms:
            if len(term) > MAX_TERM_CHARS:
                raise InputError(f'"{column}" holds a term over {MAX_TERM_CHARS} characters', field=where)
            if term:
                found.add(term)
    return frozenset(found)


def _csv_items(path: Path) -> Iterator[tuple[str, object]]:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputTooLargeError(field=str(path), size=size, limit=MAX_FILE_BYTES, unit="bytes")
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror})", field=str(path)) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"is not valid UTF-8 (byte {exc.start})", field=str(path)) from None
    csv.field_size_limit(MAX_LINE_BYTES)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        for record in reader:
            where = f"{path.name} line {reader.line_num}"
            item: dict[str, Any] = {k: v for k, v in record.items() if isinstance(k, str)}
            label = item.get("label")
            if isinstance(label, str) and label.strip().lower() in ("0", "1", "true", "false"):
                item["label"] = int(label.strip().lower() in ("1", "true"))
            for key in ("context", "query", "source", "category", "group", "split"):
                if item.get(key) == "":
                    del item[key]
            yield where, item
    except csv.Error as exc:
        raise InputError(f"is not valid CSV ({exc})", field=f"{path.name} line {reader.line_num}") from None


def load_bias_rows(
    path: Path, *, identity_columns: Sequence[str], split: str | None = None, limit: int | None = None
) -> list[BiasRow]:
    """Read a JSONL (``.jsonl``/``.json``) or CSV (``.csv``) set with identity columns.

    The first bad row stops the load with an error naming file and line, as
    :func:`steward.evaluate.dataset.load_dataset` does.
    """
    if not identity_columns:
        raise InputError("name at least one identity column", field="--identity")
    items = _csv_items(path) if path.suffix.lower() == ".csv" else jsonl_items(path)
    terms: set[str] = set()

    def of_split() -> Iterator[BiasRow]:
        for where, item in items:
            row = parse_row(item, where)
            if split is not None and row.split != split:
                continue
            identities = (
                identities_of(item, identity_columns, where) if isinstance(item, Mapping) else frozenset()
            )
            terms.update(identities)
            if len(terms) > MAX_IDENTITIES:
                raise InputError(f"names more than {MAX_IDENTITIES} identity terms", field=str(path))
            yield BiasRow(row, identities)

    rows = take_rows(of_split(), path, split=split, limit=limit)
    if not terms:
        raise InputError(
            f"no row names an identity in column(s) {', '.join(identity_columns)}", field=str(path)
        )
    return rows
