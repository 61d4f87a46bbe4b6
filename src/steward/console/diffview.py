"""Two policy versions side by side: rows of the old and new YAML lines, aligned.

The field-level changes come from the API's own :func:`steward.store.guardrails.policy_diff`;
this only aligns the two YAML texts for reading (difflib's matching blocks), so a reviewer
sees the whole of both versions, not just a unified patch.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

import yaml

__all__ = ["Row", "side_by_side"]


@dataclass(frozen=True, slots=True)
class Row:
    """One aligned row: line numbers and text on each side (None: no line there) and the kind."""

    kind: str  # "same", "changed", "removed", "added"
    old_no: int | None
    old: str
    new_no: int | None
    new: str


def _lines(policy: dict[str, Any]) -> list[str]:
    return yaml.safe_dump(policy, sort_keys=False, allow_unicode=True).splitlines()


def side_by_side(old: dict[str, Any], new: dict[str, Any]) -> list[Row]:
    """The two policies' YAML, aligned line by line."""
    a, b = _lines(old), _lines(new)
    rows: list[Row] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            rows.extend(Row("same", i1 + k + 1, a[i1 + k], j1 + k + 1, b[j1 + k]) for k in range(i2 - i1))
            continue
        for k in range(max(i2 - i1, j2 - j1)):
            i, j = i1 + k, j1 + k
            left = (i + 1, a[i]) if i < i2 else (None, "")
            right = (j + 1, b[j]) if j < j2 else (None, "")
            kind = "changed" if left[0] and right[0] else ("removed" if left[0] else "added")
            rows.append(Row(kind, left[0], left[1], right[0], right[1]))
    return rows
