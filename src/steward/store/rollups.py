"""Hourly rollups of the audit trail: what a report over whole hours reads instead of every record.

An hour is rolled up once it has been over for :data:`SETTLE` (the audit writer stores records
within seconds; the margin lets a backlog drain): its counts and latency histogram per (guardrail,
version, direction, application key), and its finding counts per policy type, category and
action, are computed with the same queries a report runs over records
(:func:`~steward.store.monitor.report_cells`, :func:`~steward.store.monitor.finding_cells`) and
written, with the hour's mark in ``audit_rollup_hours``, in one transaction: an hour is either
complete or absent, and rolling it again replaces it. The mark keeps the hour's record count,
and a report uses the rollups of a run of hours only when the records in those hours still
number the same (one indexed ``count``): records that reached an hour after it was rolled up (a
stalled writer, an import of old records) or were pruned since send the report back to the
records themselves — slower, never wrong — until the hours are rolled again
(``steward monitor rollup --rebuild-since``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, func, literal, select
from sqlalchemy.orm import Session, sessionmaker

from steward.store.models.core import AuditRow, as_utc
from steward.store.models.monitor import AuditFindingRollupRow, AuditRollupHourRow, AuditRollupRow
from steward.store.monitor import (
    LATENCY_EDGES_MS,
    AuditScope,
    FindingCell,
    _positions,
    _window_index,
    finding_cells,
    report_cells,
)

__all__ = [
    "HOUR",
    "SETTLE",
    "RollupCell",
    "finding_rollup_cells",
    "floor_hour",
    "forget_from",
    "roll_hour",
    "roll_pending",
    "rolled_span",
    "rollup_cells",
]

HOUR = timedelta(hours=1)
#: How long after an hour ends it is rolled up.
SETTLE = timedelta(minutes=5)
#: Most hours one :func:`roll_pending` call rolls up (a scheduler tick stays short; a backlog
#: is caught up over the following ticks).
BATCH_HOURS = 168
_BUCKETS = len(LATENCY_EDGES_MS) + 1


def floor_hour(when: datetime) -> datetime:
    """The start of the hour ``when`` falls in (UTC)."""
    return as_utc(when).astimezone(UTC).replace(minute=0, second=0, microsecond=0)


@dataclass(frozen=True, slots=True)
class RollupCell:
    """Counts and latency histogram of one (window, group) read from the rollups."""

    window: int
    guardrail_id: str | None
    version: str | None
    source: str
    caller_key_id: str | None
    requests: int
    interventions: int
    blocks: int
    latency: list[int]


def roll_hour(sessions: sessionmaker[Session], hour: datetime) -> int:
    """Roll up the hour starting at ``hour`` (replacing an earlier rollup); returns its records."""
    start = floor_hour(hour)
    end = start + HOUR
    groups: dict[tuple[Any, ...], list[Any]] = {}
    for cell in report_cells(sessions, since=start, until=end, window_s=3600, by_caller=True):
        key = (cell.guardrail_id, cell.version, cell.source, cell.caller_key_id)
        entry = groups.setdefault(key, [0, 0, 0, [0] * _BUCKETS])
        entry[0] += cell.requests
        entry[1] += cell.interventions
        entry[2] += cell.blocks
        entry[3][cell.latency_bucket] += cell.requests
    findings = finding_cells(sessions, since=start, until=end, window_s=3600, by_caller=True)
    with sessions.begin() as session:
        session.execute(delete(AuditRollupRow).where(AuditRollupRow.hour == start))
        session.execute(delete(AuditFindingRollupRow).where(AuditFindingRollupRow.hour == start))
        session.execute(delete(AuditRollupHourRow).where(AuditRollupHourRow.hour == start))
        session.add_all(
            AuditRollupRow(
                hour=start,
                guardrail_id=g,
                version=v,
                source=s,
                caller_key_id=c,
                requests=n,
                interventions=i,
                blocks=b,
                latency=hist,
            )
            for (g, v, s, c), (n, i, b, hist) in groups.items()
        )
        session.add_all(
            AuditFindingRollupRow(
                hour=start,
                guardrail_id=f.guardrail_id,
                version=f.version,
                source=f.source,
                caller_key_id=f.caller_key_id,
                policy=f.policy[:64],
                type=f.type[:64],
                action=f.action[:16],
                records=f.records,
            )
            for f in findings
        )
        records = int(sum(entry[0] for entry in groups.values()))
        session.add(AuditRollupHourRow(hour=start, records=records, rolled_at=datetime.now(UTC)))
    return records


def roll_pending(
    sessions: sessionmaker[Session], now: datetime | None = None, *, max_hours: int = BATCH_HOURS
) -> int:
    """Roll up the settled hours after the last one rolled (from the first record's hour when
    none was); returns how many hours with records were rolled (at most ``max_hours``; empty
    hours are only marked, in bulk)."""
    now = as_utc(now or datetime.now(UTC))
    last_settled = floor_hour(now - SETTLE) - HOUR  # the newest hour that is over and settled
    with sessions() as session:
        newest = session.scalar(select(func.max(AuditRollupHourRow.hour)))
        if newest is not None:
            hour = floor_hour(newest) + HOUR
        else:
            first = session.scalar(select(func.min(AuditRow.created_at)))
            if first is None:
                return 0
            hour = floor_hour(first)
    rolled = 0
    while hour <= last_settled and rolled < max_hours:
        with sessions() as session:
            upcoming = session.scalar(
                select(func.min(AuditRow.created_at)).where(AuditRow.created_at >= hour)
            )
        gap_end = min(
            floor_hour(upcoming) if upcoming is not None else last_settled + HOUR, last_settled + HOUR
        )
        if gap_end > hour:  # hours without a record: marked in one statement, not rolled one by one
            _mark_empty(sessions, hour, gap_end)
            hour = gap_end
            continue
        roll_hour(sessions, hour)
        hour += HOUR
        rolled += 1
    return rolled


def forget_from(sessions: sessionmaker[Session], hour: datetime) -> None:
    """Drop every rollup and mark from ``hour`` on (the next :func:`roll_pending` redoes them)."""
    start = floor_hour(hour)
    with sessions.begin() as session:
        for table in (AuditRollupRow, AuditFindingRollupRow, AuditRollupHourRow):
            session.execute(delete(table).where(table.hour >= start))


def _mark_empty(sessions: sessionmaker[Session], start: datetime, end: datetime) -> None:
    """Mark the hours in ``[start, end)`` as rolled up with no records."""
    now = datetime.now(UTC)
    hours = int((end - start) / HOUR)
    with sessions.begin() as session:
        session.execute(
            delete(AuditRollupHourRow).where(AuditRollupHourRow.hour >= start, AuditRollupHourRow.hour < end)
        )
        session.add_all(
            AuditRollupHourRow(hour=start + i * HOUR, records=0, rolled_at=now) for i in range(hours)
        )


def rolled_span(
    sessions: sessionmaker[Session], since: datetime, until: datetime
) -> tuple[datetime, datetime] | None:
    """The hours inside ``[since, until)`` the rollups cover, as ``(first, end)``, when they form
    one unbroken run whose records still number what was rolled up; None otherwise (no rollups,
    gaps, or records added to or pruned from those hours since)."""
    start, stop = as_utc(since), as_utc(until) - HOUR
    marks = select(
        func.min(AuditRollupHourRow.hour),
        func.max(AuditRollupHourRow.hour),
        func.count(),
        func.sum(AuditRollupHourRow.records),
    ).where(AuditRollupHourRow.hour >= start, AuditRollupHourRow.hour <= stop)
    with sessions() as session:
        first, last, count, rolled = session.execute(marks).one()
        if not count:
            return None
        first, last = floor_hour(first), floor_hour(last)
        if int((last - first) / HOUR) + 1 != count:
            return None
        end = last + HOUR
        held = session.scalar(
            select(func.count())
            .select_from(AuditRow)
            .where(AuditRow.created_at >= first, AuditRow.created_at < end)
        )
    if int(held or 0) != int(rolled or 0):
        return None
    return first, end


def _grouped(
    session: Session, table: Any, origin: datetime, window_s: int, by_caller: bool
) -> list[ColumnElement[Any]]:
    window = _window_index(session, origin, window_s, table.hour).label("w")
    caller = table.caller_key_id if by_caller else literal(None, type_=table.caller_key_id.type)
    return [window, table.guardrail_id, table.version, table.source, caller.label("caller")]


def rollup_cells(
    sessions: sessionmaker[Session],
    *,
    origin: datetime,
    since: datetime,
    until: datetime,
    window_s: int,
    scope: AuditScope | None = None,
    by_caller: bool = False,
) -> list[RollupCell]:
    """Per window (counted from ``origin``) and group: the rolled-up hours in ``[since, until)``."""
    with sessions() as session:
        keys = _grouped(session, AuditRollupRow, origin, window_s, by_caller)
        query = (
            select(
                *keys,
                AuditRollupRow.requests,
                AuditRollupRow.interventions,
                AuditRollupRow.blocks,
                AuditRollupRow.latency,
            )
            .where(AuditRollupRow.hour >= as_utc(since), AuditRollupRow.hour < as_utc(until))
            .where(*(scope or AuditScope()).conditions(AuditRollupRow))
        )
        rows: list[Any] = list(session.connection().execute(query))  # Core rows: no ORM loading per row
        return [
            RollupCell(int(w), g, v, s, c, int(n), int(i), int(b), list(hist))
            for w, g, v, s, c, n, i, b, hist in rows
        ]


def finding_rollup_cells(
    sessions: sessionmaker[Session],
    *,
    origin: datetime,
    since: datetime,
    until: datetime,
    window_s: int,
    scope: AuditScope | None = None,
    by_caller: bool = False,
) -> list[FindingCell]:
    """The findings breakdown of the rolled-up hours in ``[since, until)``, per window from ``origin``."""
    table = AuditFindingRollupRow
    with sessions() as session:
        keys = (
            *_grouped(session, table, origin, window_s, by_caller),
            table.policy,
            table.type,
            table.action,
        )
        query = (
            select(*keys, func.sum(table.records))
            .where(
                table.hour >= as_utc(since),
                table.hour < as_utc(until),
                *(scope or AuditScope()).conditions(table),
            )
            .group_by(*_positions(len(keys)))
        )
        rows: list[Any] = list(session.execute(query))
        return [
            FindingCell(int(w), g, v, s, c, str(p), str(t), str(a), int(n or 0))
            for w, g, v, s, c, p, t, a, n in rows
        ]
