"""Resolved review items as ``steward eval`` rows, so every verdict becomes a regression case.

A row is ``{"text", "label", "category", "source", "group"}`` (see
:mod:`steward.evaluate.dataset`): ``label`` is the reviewer's (1 = should be caught),
``source`` the direction checked, ``group`` why the item was reviewed. Items whose text was
not kept (an appeal without it, or past retention) cannot be rows and are counted instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from steward.store.review import ItemRecord

__all__ = ["ExportCount", "eval_row", "eval_rows", "write_jsonl"]


def eval_row(item: ItemRecord) -> dict[str, Any] | None:
    """The eval row of one resolved item, or None when its text is gone."""
    if item.text is None or item.label is None:
        return None
    row: dict[str, Any] = {
        "text": item.text,
        "label": item.label,
        "source": item.source,
        "group": item.reason,
        "review_item": item.id,
        "outcome": item.outcome,
    }
    if item.category:
        row["category"] = item.category
    return row


@dataclass(slots=True)
class ExportCount:
    """How many rows were written, and how many items had no text to write."""

    written: int = 0
    without_text: int = 0


def eval_rows(
    items: Iterable[ItemRecord], count: ExportCount, *, overturned_only: bool = False
) -> Iterator[dict[str, Any]]:
    """The rows of ``items`` (only overturned ones, if asked), counting what was skipped."""
    for item in items:
        if overturned_only and item.outcome != "overturned":
            continue
        if item.reason == "red_team":  # its label says whether an attack got through, not what to catch
            continue
        row = eval_row(item)
        if row is None:
            count.without_text += 1
            continue
        count.written += 1
        yield row


def write_jsonl(rows: Iterable[dict[str, Any]], out: IO[str]) -> None:
    """One JSON object per line (UTF-8 as is)."""
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
