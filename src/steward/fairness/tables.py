"""Reading a table of predictions or training rows (CSV, JSON Lines, Parquet) with limits and clear errors.

Fairness work starts from a file someone else wrote: a model's predictions on a holdout set, or the
training data. Every way such a file can be unusable (missing, empty, not UTF-8, not the format its
name says, too large, a column that is not there, labels that are not binary) is reported as an
:class:`~steward.errors.InputError` naming the file or the column, never a pandas traceback.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from steward.errors import InputError, InputTooLargeError

__all__ = [
    "FILE_MAX_BYTES",
    "FORMATS",
    "ROWS_MAX",
    "TableFormat",
    "binary_column",
    "group_column",
    "read_table",
    "require_columns",
    "score_column",
]

#: A file larger than this is refused before it is parsed.
FILE_MAX_BYTES = 512 << 20
#: A table with more rows than this is refused (the bootstrap holds a few copies of the row index).
ROWS_MAX = 5_000_000
TableFormat = Literal["csv", "jsonl", "parquet"]
FORMATS: tuple[TableFormat, ...] = ("csv", "jsonl", "parquet")
_SUFFIXES: dict[str, TableFormat] = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_TRUE = frozenset({"1", "1.0", "true"})
_FALSE = frozenset({"0", "0.0", "false"})
#: The group value a missing cell gets, so missing data is reported as its own group, not dropped.
MISSING_GROUP = "(missing)"


def _format_of(path: Path, fmt: TableFormat | None) -> TableFormat:
    if fmt is not None:
        return fmt
    found = _SUFFIXES.get(path.suffix.lower())
    if found is None:
        raise InputError(
            f"has no known table suffix ({', '.join(sorted(_SUFFIXES))}); name the format with --format",
            field=str(path),
        )
    return found


def read_table(
    path: Path,
    *,
    fmt: TableFormat | None = None,
    columns: Sequence[str] | None = None,
    skip_rows: int = 0,
    max_bytes: int = FILE_MAX_BYTES,
) -> pd.DataFrame:
    """Read ``path`` into a DataFrame; ``columns`` names the columns of a CSV without a header row.

    Cells of a CSV stay strings (``dtype=str``) apart from what :func:`binary_column` and
    :func:`score_column` convert, so ``"01"`` is never silently read as 1.
    """
    where = str(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror})", field=where) from None
    if size > max_bytes:
        raise InputTooLargeError(field=where, size=size, limit=max_bytes, unit="bytes")
    if size == 0:
        raise InputError("is empty", field=where)
    kind = _format_of(path, fmt)
    try:
        frame = _parse(path, kind, columns, skip_rows)
    except UnicodeDecodeError as exc:
        raise InputError(f"is not valid UTF-8 (byte {exc.start})", field=where) from None
    except pd.errors.EmptyDataError:
        raise InputError("holds no rows", field=where) from None
    except (pd.errors.ParserError, ValueError, json.JSONDecodeError) as exc:
        first = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise InputError(f"is not a valid {kind} table ({first})", field=where) from None
    except OSError as exc:
        raise InputError(f"is not a valid {kind} table ({exc})", field=where) from None
    if len(frame) == 0:
        raise InputError("holds no rows", field=where)
    if len(frame) > ROWS_MAX:
        raise InputTooLargeError(field=where, size=len(frame), limit=ROWS_MAX, unit="rows")
    frame.columns = [str(c) for c in frame.columns]
    return frame


def _parse(path: Path, kind: TableFormat, columns: Sequence[str] | None, skip_rows: int) -> pd.DataFrame:
    if kind == "csv":
        return pd.read_csv(
            path,
            names=list(columns) if columns else None,
            header=None if columns else "infer",
            skiprows=skip_rows,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skipinitialspace=True,
            encoding="utf-8",
            encoding_errors="strict",
        )
    if kind == "jsonl":
        # Checked line by line first: pandas' own error for a bad line does not say which one.
        rows: list[Any] = []
        with path.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if number <= skip_rows or not raw.strip():
                    continue
                try:
                    row = json.loads(raw.decode("utf-8"))
                except UnicodeDecodeError as exc:
                    raise InputError(
                        f"line {number} is not valid UTF-8 (byte {exc.start})", field=str(path)
                    ) from None
                except json.JSONDecodeError as exc:
                    raise InputError(
                        f"line {number} is not valid JSON ({exc.msg})", field=str(path)
                    ) from None
                if not isinstance(row, dict):
                    raise InputError(f"line {number} is not a JSON object", field=str(path))
                rows.append(row)
                if len(rows) > ROWS_MAX:
                    raise InputTooLargeError(field=str(path), size=len(rows), limit=ROWS_MAX, unit="rows")
        return pd.DataFrame(rows, columns=list(columns) if columns else None)
    frame = pd.read_parquet(path, engine="pyarrow")
    return frame.iloc[skip_rows:].reset_index(drop=True)


def require_columns(frame: pd.DataFrame, names: Sequence[str], *, where: str) -> None:
    """Raise naming every column in ``names`` that ``frame`` lacks, and the columns it has."""
    missing = [n for n in names if n not in frame.columns]
    if missing:
        have = ", ".join(list(frame.columns)[:30])
        raise InputError(f"has no column {', '.join(map(repr, missing))} (columns: {have})", field=where)


def binary_column(
    frame: pd.DataFrame, name: str, *, where: str, positive: Sequence[str] = ()
) -> npt.NDArray[np.int8]:
    """Column ``name`` as 0/1; accepts 0/1, true/false, or the values listed in ``positive`` (others are 0).

    Anything else (three classes, a missing cell, ``2``) is an error naming the column and the
    offending values, so a multi-class or probability column is never thresholded silently.
    """
    series = frame[name]
    if series.isna().any():
        raise InputError(f"column {name!r} has {int(series.isna().sum())} missing value(s)", field=where)
    text = series.astype(str).str.strip()
    if positive:
        wanted = {p.strip() for p in positive}
        return np.asarray(text.isin(wanted).to_numpy(), dtype=np.int8)
    lowered = text.str.lower()
    known = lowered.isin(_TRUE | _FALSE)
    if not known.all():
        bad = sorted(set(text[~known].tolist()))[:5]
        raise InputError(
            f"column {name!r} is not binary: values {', '.join(map(repr, bad))} are not 0/1 or true/false "
            "(name the positive value with --positive)",
            field=where,
        )
    return np.asarray(lowered.isin(_TRUE).to_numpy(), dtype=np.int8)


def score_column(frame: pd.DataFrame, name: str, *, where: str) -> npt.NDArray[np.float64]:
    """Column ``name`` as probabilities in [0, 1]; a missing, non-numeric or out-of-range cell is an error."""
    values = np.asarray(pd.to_numeric(frame[name], errors="coerce").to_numpy(), dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        example = frame[name][bad].astype(str).tolist()[:3]
        raise InputError(
            f"column {name!r} has {int(bad.sum())} value(s) that are not numbers (e.g. {example})",
            field=where,
        )
    if values.min() < 0 or values.max() > 1:
        raise InputError(
            f"column {name!r} is not a probability: values run from {values.min():g} to {values.max():g}, "
            "outside [0, 1]",
            field=where,
        )
    return values


def group_column(frame: pd.DataFrame, name: str) -> npt.NDArray[np.str_]:
    """Column ``name`` as strings; a missing cell becomes the group ``(missing)``."""
    series = frame[name]
    text = series.astype(str).str.strip().where(series.notna(), MISSING_GROUP)
    return np.asarray(text.to_numpy(), dtype=np.str_)
