"""What falls due: risk reviews and release evidence that is stale or about to be.

The gate only looks when asked; this is the list a weekly job prints (``steward system due``)
so nobody learns on deployment day that a review lapsed or an evaluation went stale.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from steward.govern.evidence import Evidence
from steward.govern.gates import latest_evidence
from steward.govern.inventory import AISystem, Lifecycle
from steward.govern.risk import Risk

__all__ = ["DueItem", "due_items"]


@dataclass(frozen=True, slots=True)
class DueItem:
    """One thing to do for one system, and by when (``overdue`` when the date has passed)."""

    system_id: str
    what: str
    due: dt.date | None
    overdue: bool

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "system": self.system_id,
            "what": self.what,
            "due": self.due.isoformat() if self.due else None,
            "overdue": self.overdue,
        }


def due_items(
    system: AISystem,
    *,
    risks: Sequence[Risk],
    evidence: Sequence[Evidence],
    now: dt.datetime,
    within_days: int,
) -> list[DueItem]:
    """Risk reviews and required evidence of ``system`` that are due within ``within_days``, soonest first."""
    if system.status is Lifecycle.RETIRED:
        return []
    today = now.date()
    horizon = today + dt.timedelta(days=within_days)
    items = []
    for risk in risks:
        if risk.system_id != system.id:
            continue
        if risk.review_date is None:
            items.append(DueItem(system.id, f"risk {risk.id!r} has no review date", None, True))
        elif risk.review_date <= horizon:
            items.append(
                DueItem(
                    system.id,
                    f"review risk {risk.id!r} ({risk.title})",
                    risk.review_date,
                    risk.review_date < today,
                )
            )
    for req in system.release_requirements:
        found = latest_evidence(system, req, evidence)
        if found is None:
            items.append(
                DueItem(system.id, f"record {req.describe()} for version {system.version}", None, True)
            )
            continue
        expires = (found.recorded_at + dt.timedelta(days=req.max_age_days)).date()
        if expires <= horizon:
            items.append(
                DueItem(system.id, f"refresh {req.describe()} ({found.id})", expires, expires < today)
            )
    return sorted(items, key=lambda i: (i.due or dt.date.min, i.what))
