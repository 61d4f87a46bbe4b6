"""Measuring a data file: size, label balance, group representation, PII and duplicate rows.

Reads CSV (with a header row, or with ``columns`` given for header-less files such as
UCI Adult; ``skip_rows`` drops leading banner lines) or JSONL. PII is found by running the guard with the ``pii-mask`` policy pack
over the text columns of a capped, evenly spaced sample of rows; only counts per entity
type are kept, never the matched values.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

from steward.errors import InputError, InputTooLargeError
from steward.govern.datasheet import ColumnCounts, DatasetProfile
from steward.guard import Guard
from steward.policy import load_policy

__all__ = ["PROFILE_FILE_MAX_BYTES", "profile_dataset"]

#: Data files larger than this are refused (profiling reads the whole file).
PROFILE_FILE_MAX_BYTES = 512 << 20
#: Distinct values listed per counted column; the rest are summed as ``other``.
TOP_VALUES = 50
#: Default number of rows the PII scan looks at.
PII_SAMPLE_DEFAULT = 1000
PII_SAMPLE_MAX = 100_000
#: Characters of one cell the PII scan looks at.
PII_CELL_MAX_CHARS = 10_000
#: Leading lines (comments, banners) a profile may be told to skip.
SKIP_ROWS_MAX = 1000
_MISSING = {"", "?", "NA", "N/A", "null", "None"}


def _rows(
    data: bytes, name: str, columns: Sequence[str] | None, skip_rows: int
) -> tuple[list[str], Iterator[list[str]]]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"is not valid UTF-8 (byte {exc.start})", field=name) from None
    if skip_rows:
        text = "".join(text.splitlines(keepends=True)[skip_rows:])
    if name.lower().endswith((".jsonl", ".ndjson")):
        return _jsonl_rows(text, name, columns)
    reader = csv.reader(io.StringIO(text), skipinitialspace=True)
    header = list(columns) if columns else next(reader, [])
    if not header:
        raise InputError("has no header row (give the column names)", field=name)
    width = len(header)

    def gen() -> Iterator[list[str]]:
        for number, row in enumerate(reader, start=skip_rows + (1 if columns else 2)):
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != width:
                raise InputError(f"has {len(row)} fields, expected {width}", field=f"{name} line {number}")
            yield [cell.strip() for cell in row]

    return header, gen()


def _jsonl_rows(text: str, name: str, columns: Sequence[str] | None) -> tuple[list[str], Iterator[list[str]]]:
    objects = []
    keys: dict[str, None] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"is not valid JSON ({exc.msg})", field=f"{name} line {number}") from None
        if not isinstance(obj, dict):
            raise InputError("must be a JSON object", field=f"{name} line {number}")
        objects.append(obj)
        keys.update(dict.fromkeys(obj))
    header = list(columns) if columns else list(keys)

    def cell(value: object) -> str:
        if value is None:
            return ""
        return value if isinstance(value, str) else json.dumps(value, sort_keys=True)

    return header, iter([[cell(obj.get(k)) for k in header] for obj in objects])


def _counts(column: str, values: Sequence[str]) -> ColumnCounts:
    counter = Counter(v for v in values if v not in _MISSING)
    top = dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_VALUES])
    return ColumnCounts(
        column=column,
        counts=top,
        other=sum(counter.values()) - sum(top.values()),
        missing=sum(1 for v in values if v in _MISSING),
    )


def _require(header: list[str], wanted: Sequence[str], option: str) -> None:
    for col in wanted:
        if col not in header:
            raise InputError(f"names column {col!r}, which is not one of {header}", field=option)


def profile_dataset(
    path: Path,
    *,
    columns: Sequence[str] | None = None,
    label: str | None = None,
    groups: Sequence[str] = (),
    text_columns: Sequence[str] = (),
    pii_sample: int = PII_SAMPLE_DEFAULT,
    skip_rows: int = 0,
    now: dt.datetime | None = None,
) -> DatasetProfile:
    """Measure ``path``; unknown columns, bad encodings and oversize files raise :class:`InputError`."""
    name = path.name
    try:
        size = path.stat().st_size
        if size > PROFILE_FILE_MAX_BYTES:
            raise InputTooLargeError(field=name, size=size, limit=PROFILE_FILE_MAX_BYTES, unit="bytes")
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror})", field=str(path)) from None
    if not 0 <= pii_sample <= PII_SAMPLE_MAX:
        raise InputError(f"must be between 0 and {PII_SAMPLE_MAX}", field="pii_sample")
    if not 0 <= skip_rows <= SKIP_ROWS_MAX:
        raise InputError(f"must be between 0 and {SKIP_ROWS_MAX}", field="skip_rows")
    header, row_iter = _rows(data, name, columns, skip_rows)
    rows = list(row_iter)
    _require(header, [label] if label else [], "label")
    _require(header, groups, "groups")
    _require(header, text_columns, "text_columns")
    seen: set[bytes] = set()
    duplicates = 0
    for row in rows:
        key = hashlib.sha256("\x1f".join(row).encode("utf-8", "surrogatepass")).digest()
        if key in seen:
            duplicates += 1
        seen.add(key)
    index = {col: i for i, col in enumerate(header)}
    pii_counts: Counter[str] = Counter()
    scanned = flagged = 0
    if text_columns and pii_sample and rows:
        guard = Guard(load_policy("pii-mask"))
        step = max(1, len(rows) // pii_sample)
        for row in rows[::step][:pii_sample]:
            scanned += 1
            found = False
            for col in text_columns:
                cell = row[index[col]][:PII_CELL_MAX_CHARS]
                if not cell:
                    continue
                for finding in guard.apply(cell, "input", output_scope="FULL").findings:
                    pii_counts[finding.type] += 1
                    found = True
            flagged += found
    return DatasetProfile(
        file_name=name,
        file_sha256=hashlib.sha256(data).hexdigest(),
        bytes=len(data),
        rows=len(rows),
        columns=header,
        measured_at=now or dt.datetime.now(dt.UTC),
        exact_duplicate_rows=duplicates,
        label=_counts(label, [r[index[label]] for r in rows]) if label else None,
        groups=[_counts(g, [r[index[g]] for r in rows]) for g in groups],
        pii_policy="pii-mask" if text_columns else None,
        pii_rows_scanned=scanned,
        pii_columns=list(text_columns),
        pii_counts=dict(sorted(pii_counts.items())),
        pii_rows_with_findings=flagged,
    )
