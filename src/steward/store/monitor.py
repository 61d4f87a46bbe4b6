"""The SQL of monitoring: aggregates over the audit trail, drift samples, alert rules and fired alerts.

Reports must stay fast over millions of records, so the database does the counting: one
``GROUP BY`` per report over (time window, guardrail, version, direction, [application
key], latency bucket) returns a few thousand cells at most, whatever the number of
records. Latency percentiles come from those buckets (:data:`LATENCY_EDGES_MS`): SQLite
has no percentile function, and one method on both backends keeps their answers equal.
The bucket of a record is found by a nested ``CASE`` that halves the edges at each level
(six comparisons per record, not sixty-four).

A decision counts as *intervened* when its action is ``GUARDRAIL_INTERVENED`` and as
*blocked* when the guard's reason starts with ``blocked`` (the guard writes ``blocked by
...`` for blocks and ``masked ...`` for masking; the record has no other block column).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    case,
    cast,
    delete,
    func,
    literal,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from steward.errors import ConflictError, NotFoundError
from steward.store.models.core import AuditRow, as_utc, utcnow
from steward.store.models.monitor import AlertEventRow, AlertRuleRow
from steward.store.models.review import ReviewItem

__all__ = [
    "LATENCY_EDGES_MS",
    "AlertStore",
    "AuditScope",
    "Cell",
    "FindingCell",
    "ReviewCounts",
    "drift_sample",
    "finding_cells",
    "report_cells",
    "review_counts",
]

#: Upper edges of the latency buckets (ms): 64 edges from 0.1 ms, each 25% above the last
#: (up to about 130 s); a record above the last edge falls in bucket 64.
LATENCY_EDGES_MS: tuple[float, ...] = tuple(0.1 * 1.25**i for i in range(64))


@dataclass(frozen=True, slots=True)
class AuditScope:
    """Which records a report, drift check or rule looks at; None means any."""

    guardrail_id: str | None = None
    version: str | None = None
    source: str | None = None
    caller_key_id: str | None = None

    def conditions(self, table: Any = AuditRow) -> list[ColumnElement[bool]]:
        """The WHERE conditions of this scope (none for "everything") over ``table``: the audit
        rows, or another table with the same group columns (the review items, which keep the
        calling key since migration 0009; older items have none and match no key)."""
        wanted = (
            ("guardrail_id", self.guardrail_id),
            ("version", self.version),
            ("source", self.source),
            ("caller_key_id", self.caller_key_id),
        )
        return [
            getattr(table, column) == value
            for column, value in wanted
            if value is not None and hasattr(table, column)
        ]


@dataclass(frozen=True, slots=True)
class Cell:
    """Counts of one (window, group, latency bucket)."""

    window: int
    guardrail_id: str | None
    version: str | None
    source: str
    caller_key_id: str | None
    latency_bucket: int
    requests: int
    interventions: int
    blocks: int


@dataclass(frozen=True, slots=True)
class FindingCell:
    """How many records of one (window, group) had a finding of one policy, type and action."""

    window: int
    guardrail_id: str | None
    version: str | None
    source: str
    caller_key_id: str | None
    policy: str
    type: str
    action: str
    records: int


def _epoch(when: datetime) -> int:
    return int(as_utc(when).timestamp())


def _window_index(
    session: Session, since: datetime, window_s: int, column: Any = AuditRow.created_at
) -> ColumnElement[Any]:
    """The record's window: whole ``window_s`` periods of ``column`` (a time) since ``since``."""
    start = literal_column(str(_epoch(since)), Integer)
    width = literal_column(str(int(window_s)), Integer)
    if session.get_bind().dialect.name == "sqlite":
        seconds: ColumnElement[Any] = cast(func.strftime("%s", column), Integer)
        return (seconds - start) // width  # integer division
    epoch = func.extract("epoch", column)
    return cast(func.floor((epoch - start) / width), Integer)


def _has_math(session: Session) -> bool:
    """Whether the database has ``ln`` and ``ceil`` (PostgreSQL always; SQLite when built with them)."""
    if session.get_bind().dialect.name != "sqlite":
        return True
    try:
        session.execute(select(func.ceil(func.ln(literal_column("2.0")))))
    except OperationalError:
        session.rollback()
        return False
    return True


def _latency_bucket(session: Session) -> ColumnElement[Any]:
    """The record's latency bucket: computed with ``ln`` where the database has it (a third of the
    cost), else found by the halving ``CASE``; both give the same bucket."""
    if not _has_math(session):
        return _bucket_case(0, len(LATENCY_EDGES_MS))
    sqlite = session.get_bind().dialect.name == "sqlite"
    at_least, at_most = (func.max, func.min) if sqlite else (func.greatest, func.least)
    floor_ms: ColumnElement[Any] = literal_column(repr(LATENCY_EDGES_MS[0]))
    ratio: ColumnElement[Any] = literal_column(repr(math.log(1.25)))
    steps = func.ceil(
        func.ln(at_least(AuditRow.latency_ms, floor_ms) / floor_ms) / ratio - literal_column("1e-9")
    )
    top: ColumnElement[Any] = literal_column(str(len(LATENCY_EDGES_MS)))
    return cast(at_most(at_least(steps, literal_column("0")), top), Integer)


def _bucket_case(lo: int, hi: int) -> ColumnElement[Any]:
    """The bucket of ``latency_ms`` among edges ``lo..hi-1`` (bucket ``hi`` above them), by halving."""
    if lo == hi:
        return literal_column(str(lo))
    mid = (lo + hi) // 2
    # Constants inline (not bound): the same expression in SELECT and GROUP BY, and 200 fewer parameters.
    return case(
        (AuditRow.latency_ms <= literal_column(repr(LATENCY_EDGES_MS[mid])), _bucket_case(lo, mid)),
        else_=_bucket_case(mid + 1, hi),
    )


def _caller(by_caller: bool) -> ColumnElement[Any]:
    """The key id column when grouping by key, else a constant NULL (one group for all keys)."""
    if by_caller:
        return AuditRow.caller_key_id.expression
    return literal(None, type_=AuditRow.caller_key_id.type)


def _positions(n: int) -> list[ColumnElement[Any]]:
    """``GROUP BY 1, 2, ..., n``: both backends take select-list positions, so long expressions
    are written (and computed) once."""
    return [literal_column(str(i)) for i in range(1, n + 1)]


def _where(since: datetime, until: datetime, scope: AuditScope) -> list[ColumnElement[bool]]:
    """Records created in ``[since, until)`` within ``scope``."""
    return [AuditRow.created_at >= as_utc(since), AuditRow.created_at < as_utc(until), *scope.conditions()]


def _in_range_by(
    query: Select[Any], n_keys: int, since: datetime, until: datetime, scope: AuditScope
) -> Select[Any]:
    """``query`` over the records in range and scope, grouped by its first ``n_keys`` columns."""
    return query.where(*_where(since, until, scope)).group_by(*_positions(n_keys))


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    """How many rows of a group meet ``condition`` (portable: no FILTER clause)."""
    return func.sum(case((condition, 1), else_=0))


def report_cells(
    sessions: sessionmaker[Session],
    *,
    since: datetime,
    until: datetime,
    window_s: int,
    scope: AuditScope = AuditScope(),
    by_caller: bool = False,
    origin: datetime | None = None,
) -> list[Cell]:
    """Request, intervention and block counts per window, group and latency bucket.

    Windows count from ``origin`` (default ``since``), so a report can read part of its range
    here and the rest from hourly rollups (:mod:`steward.store.rollups`) on one window grid."""
    with sessions() as session:
        window = _window_index(session, origin or since, window_s).label("w")
        bucket = _latency_bucket(session).label("b")
        caller = _caller(by_caller).label("caller")
        intervened = _count_if(AuditRow.action == "GUARDRAIL_INTERVENED")
        blocked = _count_if(AuditRow.action_reason.like("blocked%"))
        keys = (window, AuditRow.guardrail_id, AuditRow.version, AuditRow.source, caller, bucket)
        query = _in_range_by(select(*keys, func.count(), intervened, blocked), len(keys), since, until, scope)
        return [
            Cell(int(w), g, v, s, c, int(b), int(n), int(i or 0), int(k or 0))
            for w, g, v, s, c, b, n, i, k in session.execute(query)
        ]


def finding_cells(
    sessions: sessionmaker[Session],
    *,
    since: datetime,
    until: datetime,
    window_s: int,
    scope: AuditScope = AuditScope(),
    by_caller: bool = False,
    origin: datetime | None = None,
) -> list[FindingCell]:
    """Per window, group, policy type, category and action: the records with such a finding.

    The database expands each record's findings itself (``json_each`` on SQLite,
    ``json_array_elements`` on PostgreSQL), so no finding list crosses into Python.
    """
    with sessions() as session:
        sqlite = session.get_bind().dialect.name == "sqlite"
        window = _window_index(session, origin or since, window_s).label("w")
        caller = _caller(by_caller).label("caller")
        policy: ColumnElement[Any]
        kind: ColumnElement[Any]
        action: ColumnElement[Any]
        if sqlite:
            item = func.json_each(AuditRow.findings).table_valued("value").alias("f")
            policy = func.json_extract(item.c.value, "$.policy")
            kind = func.json_extract(item.c.value, "$.type")
            action = func.json_extract(item.c.value, "$.action")
        else:
            item = func.json_array_elements(AuditRow.findings).table_valued("value").alias("f")
            policy = item.c.value.op("->>")(literal_column("'policy'"))
            kind = item.c.value.op("->>")(literal_column("'type'"))
            action = item.c.value.op("->>")(literal_column("'action'"))
        keys = (
            window,
            AuditRow.guardrail_id,
            AuditRow.version,
            AuditRow.source,
            caller,
            policy,
            kind,
            action,
        )
        query = (
            select(*keys, func.count(func.distinct(AuditRow.id)))
            .select_from(AuditRow)
            .join(item, literal_column("1") == literal_column("1"))
            .where(AuditRow.finding_types != ",")
        )
        query = _in_range_by(query, len(keys), since, until, scope)
        return [
            FindingCell(int(w), g, v, s, c, str(p or ""), str(t or ""), str(a or "NONE"), int(n))
            for w, g, v, s, c, p, t, a, n in session.execute(query)
        ]


@dataclass(frozen=True, slots=True)
class ReviewCounts:
    """Human review of one (guardrail, version, direction[, key][, window]) in a range.

    ``items`` and ``appeals`` count review items created in the range (appeals are the
    items of reason ``appeal``); the outcome counts are over items resolved in the range.
    ``window`` is the window of creation (for ``items``/``appeals``) or of resolution (for the
    outcomes), None for the whole range; ``caller_key_id`` is None unless grouped by key.
    """

    guardrail_id: str | None
    version: str | None
    source: str
    items: int
    appeals: int
    confirmed: int
    overturned: int
    blocked_confirmed: int
    blocked_overturned: int
    caller_key_id: str | None = None
    window: int | None = None


def review_counts(
    sessions: sessionmaker[Session],
    *,
    since: datetime,
    until: datetime,
    scope: AuditScope = AuditScope(),
    window_s: int | None = None,
    by_caller: bool = False,
) -> list[ReviewCounts]:
    """Review items and outcomes per (guardrail, version, direction), and per application key
    (``by_caller``) and window (``window_s``: created items by creation time, outcomes by
    resolution time) when asked; two grouped queries, whatever the number of items."""

    def scoped(*conditions: ColumnElement[bool]) -> list[ColumnElement[bool]]:
        return [*conditions, *scope.conditions(ReviewItem)]

    start, end = as_utc(since), as_utc(until)
    caller = (
        ReviewItem.caller_key_id.expression
        if by_caller
        else literal(None, type_=ReviewItem.caller_key_id.type)
    )
    confirmed, overturned = ReviewItem.outcome == "confirmed", ReviewItem.outcome == "overturned"
    totals: dict[tuple[str | None, str | None, str, str | None, int | None], list[int]] = {}
    with sessions() as session:

        def window(column: Any) -> ColumnElement[Any]:
            if window_s is None:
                return literal(None, type_=Integer)
            return _window_index(session, since, window_s, column)

        group = (ReviewItem.guardrail_id, ReviewItem.version, ReviewItem.source, caller)
        created = select(
            *group, window(ReviewItem.created_at), func.count(), _count_if(ReviewItem.reason == "appeal")
        ).where(*scoped(ReviewItem.created_at >= start, ReviewItem.created_at < end))
        resolved = select(
            *group,
            window(ReviewItem.resolved_at),
            _count_if(confirmed),
            _count_if(overturned),
            _count_if(confirmed & ReviewItem.blocked.is_(True)),
            _count_if(overturned & ReviewItem.blocked.is_(True)),
        ).where(*scoped(ReviewItem.resolved_at >= start, ReviewItem.resolved_at < end))
        for g, v, src, c, w, n, appeals in session.execute(created.group_by(*_positions(5))):
            key = (g, v, src, c, None if w is None else int(w))
            totals.setdefault(key, [0] * 6)[0:2] = [int(n), int(appeals or 0)]
        for g, v, src, c, w, *outcomes in session.execute(resolved.group_by(*_positions(5))):
            key = (g, v, src, c, None if w is None else int(w))
            totals.setdefault(key, [0] * 6)[2:6] = [int(x or 0) for x in outcomes]
    return [
        ReviewCounts(g, v, src, n, a, co, ov, bc, bo, caller_key_id=c, window=w)
        for (g, v, src, c, w), (n, a, co, ov, bc, bo) in totals.items()
    ]


def drift_sample(
    sessions: sessionmaker[Session],
    *,
    since: datetime,
    until: datetime,
    scope: AuditScope = AuditScope(),
    limit: int = 100_000,
) -> tuple[list[int], list[list[dict[str, Any]]]]:
    """The text lengths of up to ``limit`` records in range (the newest), and the findings
    lists of those among them that have findings (records without any are left out)."""
    with sessions() as session:
        newest = select(AuditRow.id, AuditRow.text_length).where(*_where(since, until, scope))
        rows = session.execute(newest.order_by(AuditRow.id.desc()).limit(limit)).all()
        if not rows:
            return [], []
        oldest_id = min(r[0] for r in rows)
        with_findings = select(AuditRow.findings).where(
            *_where(since, until, scope), AuditRow.finding_types != ",", AuditRow.id >= oldest_id
        )
        findings = [list(f or []) for (f,) in session.execute(with_findings)]
    return [int(n) for _, n in rows], findings


class AlertStore:
    """Alert rules and fired alerts."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def create(self, row: AlertRuleRow) -> AlertRuleRow:
        """Store a new rule; its id must be free."""
        try:
            with self._sessions.begin() as session:
                session.add(row)
        except IntegrityError:
            raise ConflictError(f"alert rule {row.id!r} already exists") from None
        return row

    def rules(self, *, enabled_only: bool = False) -> list[AlertRuleRow]:
        """Every rule, by id."""
        query = select(AlertRuleRow).order_by(AlertRuleRow.id)
        if enabled_only:
            query = query.where(AlertRuleRow.enabled.is_(True))
        with self._sessions() as session:
            return list(session.scalars(query))

    def get(self, rule_id: str) -> AlertRuleRow:
        """One rule, or :class:`NotFoundError`."""
        with self._sessions() as session:
            row = session.get(AlertRuleRow, rule_id)
        if row is None:
            raise NotFoundError("alert rule", rule_id)
        return row

    def delete(self, rule_id: str) -> None:
        """Delete a rule and its fired alerts."""
        with self._sessions.begin() as session:
            session.execute(delete(AlertEventRow).where(AlertEventRow.rule_id == rule_id))
            done = session.execute(delete(AlertRuleRow).where(AlertRuleRow.id == rule_id))
        if not getattr(done, "rowcount", 0):
            raise NotFoundError("alert rule", rule_id)

    def claim_firing(self, rule: AlertRuleRow, now: datetime) -> bool:
        """Whether this process may fire ``rule`` now: one conditional UPDATE, so of several
        server processes evaluating the same rule only one wins, and the cooldown holds."""
        last_ok = as_utc(now) - timedelta(seconds=rule.cooldown_s)
        with self._sessions.begin() as session:
            done = session.execute(
                update(AlertRuleRow)
                .where(
                    AlertRuleRow.id == rule.id,
                    or_(AlertRuleRow.last_fired_at.is_(None), AlertRuleRow.last_fired_at <= last_ok),
                )
                .values(last_fired_at=as_utc(now))
            )
        return bool(getattr(done, "rowcount", 0))

    def add_event(self, event: AlertEventRow) -> AlertEventRow:
        """Store a fired alert."""
        with self._sessions.begin() as session:
            session.add(event)
        return event

    def record_delivery(self, event_id: int, *, delivered: bool, attempts: int, error: str = "") -> None:
        """Note the outcome of a webhook delivery."""
        values: dict[str, Any] = {
            "delivery": "delivered" if delivered else "failed",
            "attempts": attempts,
            "last_error": error[:500],
        }
        if delivered:
            values["delivered_at"] = utcnow()
        with self._sessions.begin() as session:
            session.execute(update(AlertEventRow).where(AlertEventRow.id == event_id).values(**values))

    def events(
        self, *, since: datetime | None = None, rule_id: str | None = None, limit: int = 100
    ) -> list[AlertEventRow]:
        """Fired alerts, newest first."""
        query = select(AlertEventRow).order_by(AlertEventRow.id.desc()).limit(limit)
        if since is not None:
            query = query.where(AlertEventRow.fired_at >= as_utc(since))
        if rule_id is not None:
            query = query.where(AlertEventRow.rule_id == rule_id)
        with self._sessions() as session:
            return list(session.scalars(query))
