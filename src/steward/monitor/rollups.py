"""Keeping the hourly rollups up to date, for the scheduler and ``steward monitor rollup``.

The server's scheduler rolls up a bounded batch of settled hours at each tick
(:func:`steward.store.rollups.roll_pending`); :func:`catch_up` runs batches until none is left
(a first run over a long audit trail), and :func:`rebuild` rolls a range of hours again (after
records reached an hour late, or to start over).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from steward.store.rollups import floor_hour, forget_from, roll_pending

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

__all__ = ["catch_up", "rebuild"]


def catch_up(sessions: sessionmaker[Session], now: datetime | None = None) -> int:
    """Roll up every settled hour after the last one rolled; returns how many (with records) were rolled."""
    total = 0
    while True:
        rolled = roll_pending(sessions, now)
        total += rolled
        if rolled == 0:
            return total


def rebuild(sessions: sessionmaker[Session], since: datetime, now: datetime | None = None) -> int:
    """Drop the rollups from the hour ``since`` falls in onwards and roll those hours up again;
    returns how many hours with records were rolled."""
    forget_from(sessions, floor_hour(since))
    return catch_up(sessions, now)
