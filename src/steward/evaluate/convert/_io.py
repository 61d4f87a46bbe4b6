"""Reading the shared data files and sampling them the same way every time."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from steward.errors import InputError

__all__ = ["Row", "even_sample", "read_csv", "read_json", "read_jsonl", "require", "stratified_sample"]

T = TypeVar("T")
Row = dict[str, Any]

#: Jailbreak prompts run to tens of kilobytes; csv's default field limit (128 KiB) is too small.
_CSV_FIELD_LIMIT = min(sys.maxsize, 16 << 20)


def require(path: Path) -> Path:
    """``path`` if it exists; otherwise an :class:`InputError` saying which file is missing."""
    if not path.is_file():
        raise InputError("is missing (is --data-dir the shared data folder?)", field=str(path))
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    """Every row of a CSV file with a header line."""
    csv.field_size_limit(_CSV_FIELD_LIMIT)
    with require(path).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def read_jsonl(path: Path) -> list[Any]:
    """Every non-blank line of a JSON-lines file, decoded."""
    with require(path).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def read_json(path: Path) -> Any:
    """A whole JSON document."""
    with require(path).open(encoding="utf-8") as fh:
        return json.load(fh)


def even_sample(items: Sequence[T], limit: int | None) -> list[T]:
    """At most ``limit`` items spread evenly over ``items`` (all of them without a limit).

    Evenly spaced rather than the first N, so a sample keeps the mix of a file whose rows
    come in blocks (all attacks, then all clean texts); and no randomness, so two runs
    with the same limit give the same rows.
    """
    if limit is None or limit >= len(items):
        return list(items)
    if limit <= 0:
        return []
    return [items[(i * len(items)) // limit] for i in range(limit)]


def stratified_sample(rows: Sequence[Row], limit: int | None) -> list[Row]:
    """At most ``limit`` rows keeping each label's share, evenly spaced within each label.

    Sampling every label separately keeps the balance of files whose rows alternate
    (a clean document, then the same document attacked), which a single evenly spaced
    pass could hit on one parity only. Rows stay in file order.
    """
    if limit is None or limit >= len(rows):
        return list(rows)
    by_label: dict[Any, list[int]] = {}
    for index, row in enumerate(rows):
        by_label.setdefault(row.get("label"), []).append(index)
    picked: list[int] = []
    for indices in by_label.values():
        share = max(1, round(limit * len(indices) / len(rows)))
        picked.extend(even_sample(indices, share))
    return [rows[i] for i in sorted(picked)[:limit]]
