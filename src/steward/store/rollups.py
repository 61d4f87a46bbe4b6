"""Hourly rollups of the audit trail: what reports and drift over whole hours read instead of every record.

An hour is rolled up once it has been over for :data:`SETTLE` (the audit writer stores records
within seconds; the margin lets a backlog drain): per (guardrail, version, direction,
application key), its counts and latency histogram, its finding counts per policy type,
category and action, and what drift compares (:class:`~steward.store.monitor.DriftCounts`),
computed with the same queries a report or a drift check runs over records
(:func:`~steward.store.monitor.report_cells`, :func:`~steward.store.monitor.finding_cells`,
:func:`~steward.store.monitor.drift_counts`). The same is written again summed over the keys
(rows with ``all_callers``): a report that does not split by key reads those, a fraction of the
rows. All of it is written, with the hour's mark in ``audit_rollup_hours``, in one transaction:
an hour is either complete or absent, and rolling it again replaces it.

The mark keeps the hour's record count, and a report uses the rollups of a run of hours only
when the records in those hours still number the same (one indexed ``count``): records that
reached an hour after it was rolled up (a stalled writer, an import of old records) or were
pruned since send the report back to the records themselves — slower, never wrong — until the
hours are rolled again (``steward monitor rollup --rebuild-since``).

What a run of rolled hours sums to is kept in a small per-process cache, keyed by the run and
by its marks (how many, their records, the newest roll time): a rolled hour never changes
without a new mark, so an entry is never stale; a page shown again within the hour reads only
the open hours from the records.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import orjson
from sqlalchemy import ColumnElement, Text, cast, delete, func, insert, literal, select
from sqlalchemy.orm import Session, sessionmaker

from steward.cache import LruCache
from steward.store.models.core import AuditRow, as_utc
from steward.store.models.monitor import AuditFindingRollupRow, AuditRollupHourRow, AuditRollupRow
from steward.store.monitor import (
    LATENCY_EDGES_MS,
    AuditScope,
    DriftCounts,
    FindingCell,
    _positions,
    _window_index,
    drift_counts,
    finding_cells,
    report_cells,
)

__all__ = [
    "HOUR",
    "SETTLE",
    "RolledSpan",
    "RollupBlock",
    "clear_cache",
    "floor_hour",
    "forget_from",
    "roll_hour",
    "roll_pending",
    "rolled_span",
    "rollup_block",
    "rollup_drift",
]

HOUR = timedelta(hours=1)
#: How long after an hour ends it is rolled up.
SETTLE = timedelta(minutes=5)
#: Most hours one :func:`roll_pending` call rolls up (a scheduler tick stays short; a backlog
#: is caught up over the following ticks).
BATCH_HOURS = 168
_BUCKETS = len(LATENCY_EDGES_MS) + 1
#: Sums of rolled runs of hours kept per process (a few pages' and rules' worth; each is small:
#: groups x windows x 68 numbers, or one set of drift counts).
_CACHED = 64

GroupKey = tuple[str | None, str | None, str, str | None]


def floor_hour(when: datetime) -> datetime:
    """The start of the hour ``when`` falls in (UTC)."""
    return as_utc(when).astimezone(UTC).replace(minute=0, second=0, microsecond=0)


@dataclass(frozen=True, slots=True)
class RolledSpan:
    """An unbroken run of rolled-up hours ``[first, end)`` and what identifies its rollups: how
    many marks, the records they counted, and when the newest was written."""

    first: datetime
    end: datetime
    generation: tuple[int, int, str]


@dataclass(frozen=True, slots=True)
class RollupBlock:
    """A rolled span summed per group and window: ``counts[g, w]`` is (requests, interventions,
    blocks) and ``latency[g, w]`` the latency histogram of ``groups[g]`` in window ``w``; and the
    span's finding counts per window."""

    groups: tuple[GroupKey, ...]
    counts: np.ndarray[Any, Any]
    latency: np.ndarray[Any, Any]
    findings: tuple[FindingCell, ...]


_blocks: LruCache[tuple[Any, ...], RollupBlock] = LruCache(_CACHED)
_drifts: LruCache[tuple[Any, ...], DriftCounts] = LruCache(_CACHED)


def clear_cache() -> None:
    """Forget the cached sums of rolled hours (a benchmark timing the first read of a span)."""
    _blocks.clear()
    _drifts.clear()


def _row_group(
    hour: datetime, guardrail: str | None, version: str | None, source: str, caller: str | None, summed: bool
) -> dict[str, Any]:
    """The columns that place a rollup row: its hour and group (and whether it sums the keys)."""
    return {
        "hour": hour,
        "guardrail_id": guardrail,
        "version": version,
        "source": source,
        "caller_key_id": caller,
        "all_callers": summed,
    }


def roll_hour(sessions: sessionmaker[Session], hour: datetime) -> int:
    """Roll up the hour starting at ``hour`` (replacing an earlier rollup); returns its records."""
    start = floor_hour(hour)
    end = start + HOUR
    groups: dict[tuple[GroupKey, bool], list[Any]] = {}
    for cell in report_cells(sessions, since=start, until=end, window_s=3600, by_caller=True):
        key: GroupKey = (cell.guardrail_id, cell.version, cell.source, cell.caller_key_id)
        for target in ((key, False), ((*key[:3], None), True)):  # the key's own row and the keys' sum
            entry = groups.setdefault(target, [0, 0, 0, [0] * _BUCKETS, DriftCounts()])
            entry[0] += cell.requests
            entry[1] += cell.interventions
            entry[2] += cell.blocks
            entry[3][cell.latency_bucket] += cell.requests
    for group, counts in drift_counts(sessions, since=start, until=end, grouped=True).items():
        assert group is not None
        groups[(group, False)][4].add(counts)
        groups[((*group[:3], None), True)][4].add(counts)
    findings: dict[tuple[Any, ...], int] = {}
    for f in finding_cells(sessions, since=start, until=end, window_s=3600, by_caller=True):
        what = (f.policy[:64], f.type[:64], f.action[:16])
        for row_key in (
            (f.guardrail_id, f.version, f.source, f.caller_key_id, False, *what),
            (f.guardrail_id, f.version, f.source, None, True, *what),
        ):
            findings[row_key] = findings.get(row_key, 0) + f.records
    with sessions.begin() as session:
        session.execute(delete(AuditRollupRow).where(AuditRollupRow.hour == start))
        session.execute(delete(AuditFindingRollupRow).where(AuditFindingRollupRow.hour == start))
        session.execute(delete(AuditRollupHourRow).where(AuditRollupHourRow.hour == start))
        # bulk inserts of plain rows (no ORM objects, no keys read back): an hour is ~100 rows
        rollups = [
            {
                **_row_group(start, g, v, s, c, summed),
                "requests": n,
                "interventions": i,
                "blocks": b,
                "latency": hist,
                "drift": drift.to_json(),
            }
            for ((g, v, s, c), summed), (n, i, b, hist, drift) in groups.items()
        ]
        if rollups:
            session.execute(insert(AuditRollupRow), rollups)
        finding_rows = [
            {
                **_row_group(start, g, v, s, c, summed),
                "policy": policy,
                "type": kind,
                "action": action,
                "records": n,
            }
            for (g, v, s, c, summed, policy, kind, action), n in findings.items()
        ]
        if finding_rows:
            session.execute(insert(AuditFindingRollupRow), finding_rows)
        records = int(sum(entry[0] for (_, summed), entry in groups.items() if summed))
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


def rolled_span(sessions: sessionmaker[Session], since: datetime, until: datetime) -> RolledSpan | None:
    """The hours inside ``[since, until)`` the rollups cover, when they form one unbroken run whose
    records still number what was rolled up; None otherwise (no rollups, gaps, or records added to
    or pruned from those hours since)."""
    start, stop = as_utc(since), as_utc(until) - HOUR
    marks = select(
        func.min(AuditRollupHourRow.hour),
        func.max(AuditRollupHourRow.hour),
        func.count(),
        func.sum(AuditRollupHourRow.records),
        func.max(AuditRollupHourRow.rolled_at),
    ).where(AuditRollupHourRow.hour >= start, AuditRollupHourRow.hour <= stop)
    with sessions() as session:
        first, last, count, rolled, newest = session.execute(marks).one()
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
    return RolledSpan(first, end, (int(count), int(rolled or 0), str(newest)))


def _summed(by_caller: bool, scope: AuditScope) -> bool:
    """Whether the rows summed over the keys answer: not when grouping or filtering by key."""
    return not by_caller and scope.caller_key_id is None


def _in_span(table: Any, span: RolledSpan, scope: AuditScope, summed: bool) -> list[ColumnElement[bool]]:
    return [
        table.hour >= span.first,
        table.hour < span.end,
        table.all_callers.is_(summed),
        *scope.conditions(table),
    ]


def _cache_key(sessions: sessionmaker[Session], span: RolledSpan, *parts: Any) -> tuple[Any, ...]:
    bind = sessions.kw["bind"]
    return (bind.url.render_as_string(hide_password=True), id(bind), span, *parts)


def rollup_block(
    sessions: sessionmaker[Session],
    span: RolledSpan,
    *,
    origin: datetime,
    window_s: int,
    n_windows: int,
    scope: AuditScope | None = None,
    by_caller: bool = False,
) -> RollupBlock:
    """The rolled hours of ``span`` summed per group and window (windows of ``window_s`` counted
    from ``origin``, which must be at or before ``span.first``; ``span`` must end by the last window's end).

    The rows come back as text and are summed with numpy: a week of hourly rows is read in a
    few milliseconds. Kept in the per-process cache (see the module's note).
    """
    scope = scope or AuditScope()
    key = _cache_key(sessions, span, "block", as_utc(origin), window_s, n_windows, scope, by_caller)
    cached = _blocks.get(key)
    if cached is not None:
        return cached
    summed = _summed(by_caller, scope)
    table = AuditRollupRow
    with sessions() as session:
        group_keys = _grouped(session, table, origin, window_s, by_caller)
        query = select(
            *group_keys, table.requests, table.interventions, table.blocks, cast(table.latency, Text)
        ).where(*_in_span(table, span, scope, summed))
        rows: Sequence[Any] = session.connection().execute(query).fetchall()  # Core rows, fetched in bulk
        found = finding_block(
            session, span, origin=origin, window_s=window_s, scope=scope, by_caller=by_caller
        )
    index: dict[GroupKey, int] = {}
    group = np.fromiter(
        (index.setdefault((g, v, s, c), len(index)) for _, g, v, s, c, *_ in rows),
        dtype=np.int64,
        count=len(rows),
    )
    window = np.fromiter((int(r[0]) for r in rows), dtype=np.int64, count=len(rows))
    numbers = np.array([r[5:8] for r in rows], dtype=np.int64).reshape(len(rows), 3)
    latency = _histograms([r[8] for r in rows])
    counts = np.zeros((len(index), n_windows, 3), dtype=np.int64)
    hists = np.zeros((len(index), n_windows, _BUCKETS), dtype=np.int64)
    np.add.at(counts, (group, window), numbers)
    np.add.at(hists, (group, window), latency)
    block = RollupBlock(tuple(index), counts, hists, tuple(found))
    _blocks.put(key, block)
    return block


def _histograms(texts: list[str]) -> np.ndarray[Any, Any]:
    """The stored latency histograms (JSON lists of :data:`_BUCKETS` counts) as one array, parsed in
    one pass: ``np.fromstring`` over the lists joined, rather than a JSON parse per row."""
    if not texts:
        return np.zeros((0, _BUCKETS), dtype=np.int64)
    joined = ",".join(texts).replace("[", "").replace("]", "")
    values = np.fromstring(joined, dtype=np.int64, sep=",")
    if values.size != len(texts) * _BUCKETS:  # written by another version: parse each to be exact
        return np.array([orjson.loads(t) for t in texts], dtype=np.int64).reshape(len(texts), _BUCKETS)
    return values.reshape(len(texts), _BUCKETS)


def finding_block(
    session: Session,
    span: RolledSpan,
    *,
    origin: datetime,
    window_s: int,
    scope: AuditScope,
    by_caller: bool,
) -> list[FindingCell]:
    """The findings breakdown of the rolled hours of ``span``, per window from ``origin``."""
    table = AuditFindingRollupRow
    keys = (*_grouped(session, table, origin, window_s, by_caller), table.policy, table.type, table.action)
    query = (
        select(*keys, func.sum(table.records))
        .where(*_in_span(table, span, scope, _summed(by_caller, scope)))
        .group_by(*_positions(len(keys)))
    )
    rows: list[Any] = list(session.execute(query))
    return [
        FindingCell(int(w), g, v, s, c, str(p), str(t), str(a), int(n or 0))
        for w, g, v, s, c, p, t, a, n in rows
    ]


def rollup_drift(
    sessions: sessionmaker[Session], span: RolledSpan, *, scope: AuditScope | None = None
) -> DriftCounts:
    """What drift compares, summed over the rolled hours of ``span`` within ``scope`` (cached)."""
    scope = scope or AuditScope()
    key = _cache_key(sessions, span, "drift", scope)
    cached = _drifts.get(key)
    if cached is not None:
        return cached
    table = AuditRollupRow
    query = select(cast(table.drift, Text)).where(*_in_span(table, span, scope, _summed(False, scope)))
    with sessions() as session:
        rows = session.connection().execute(query).fetchall()
        total = DriftCounts.total(orjson.loads(text) for (text,) in rows)
    _drifts.put(key, total)
    return total


def _grouped(
    session: Session, table: Any, origin: datetime, window_s: int, by_caller: bool
) -> list[ColumnElement[Any]]:
    window = _window_index(session, origin, window_s, table.hour).label("w")
    caller = table.caller_key_id if by_caller else literal(None, type_=table.caller_key_id.type)
    return [window, table.guardrail_id, table.version, table.source, caller.label("caller")]
