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
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import numpy as np
from sqlalchemy import (
    ColumnElement,
    Float,
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
    "LANGUAGE_TYPE",
    "LATENCY_EDGES_MS",
    "LENGTH_BUCKETS",
    "LENGTH_EDGES",
    "SCORE_BUCKETS",
    "AlertStore",
    "AuditScope",
    "Cell",
    "DriftCounts",
    "FindingCell",
    "ReviewCounts",
    "drift_counts",
    "finding_cells",
    "report_cells",
    "review_counts",
]

#: Upper edges of the latency buckets (ms): 64 edges from 0.1 ms, each 25% above the last
#: (up to about 130 s); a record above the last edge falls in bucket 64.
LATENCY_RATIO = 1.25
LATENCY_EDGES_MS: tuple[float, ...] = tuple(0.1 * LATENCY_RATIO**i for i in range(64))
#: Upper edges of the text-length buckets drift compares: 300 edges from 1 character, each 5%
#: above the last (up to about 2.2 million characters; a longer text falls in bucket 300).
LENGTH_RATIO = 1.05
LENGTH_EDGES: tuple[float, ...] = tuple(LENGTH_RATIO**i for i in range(300))
LENGTH_BUCKETS = len(LENGTH_EDGES) + 1
#: Score buckets drift compares: 100, each 0.01 wide (bucket 99 holds 0.99 to 1.0).
SCORE_BUCKETS = 100
#: The finding type whose details name the language a text is in when it is not supported.
LANGUAGE_TYPE = "UNSUPPORTED_LANGUAGE"


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
    """The record's latency bucket over :data:`LATENCY_EDGES_MS`."""
    return _geometric_bucket(session, AuditRow.latency_ms, LATENCY_EDGES_MS, LATENCY_RATIO)


def _geometric_bucket(
    session: Session, column: Any, edges: tuple[float, ...], ratio: float
) -> ColumnElement[Any]:
    """The bucket of ``column`` over geometric ``edges`` (the first bucket whose upper edge is at
    least the value; one past the last edge above it): computed with ``ln`` where the database has
    it (a third of the cost), else found by the halving ``CASE``; both give the same bucket."""
    if not _has_math(session):
        return _bucket_case(column, edges, 0, len(edges))
    sqlite = session.get_bind().dialect.name == "sqlite"
    at_least, at_most = (func.max, func.min) if sqlite else (func.greatest, func.least)
    floor_value: ColumnElement[Any] = literal_column(repr(edges[0]))
    log_ratio: ColumnElement[Any] = literal_column(repr(math.log(ratio)))
    steps = func.ceil(
        func.ln(at_least(column, floor_value) / floor_value) / log_ratio - literal_column("1e-9")
    )
    top: ColumnElement[Any] = literal_column(str(len(edges)))
    return cast(at_most(at_least(steps, literal_column("0")), top), Integer)


def _bucket_case(column: Any, edges: tuple[float, ...], lo: int, hi: int) -> ColumnElement[Any]:
    """The bucket of ``column`` among ``edges[lo:hi]`` (bucket ``hi`` above them), by halving."""
    if lo == hi:
        return literal_column(str(lo))
    mid = (lo + hi) // 2
    # Constants inline (not bound): the same expression in SELECT and GROUP BY, and 200 fewer parameters.
    return case(
        (column <= literal_column(repr(edges[mid])), _bucket_case(column, edges, lo, mid)),
        else_=_bucket_case(column, edges, mid + 1, hi),
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
        window = _window_index(session, origin or since, window_s).label("w")
        caller = _caller(by_caller).label("caller")
        found = _findings(session)
        keys = (
            window,
            AuditRow.guardrail_id,
            AuditRow.version,
            AuditRow.source,
            caller,
            found.policy,
            found.type,
            found.action,
        )
        query = _with_findings(select(*keys, func.count(func.distinct(AuditRow.id))), found)
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


def _zeros(size: int) -> np.ndarray[Any, Any]:
    return np.zeros(size, dtype=np.int64)


@dataclass(slots=True)
class DriftCounts:
    """What drift compares, binned, for a set of records (one group of one hour, or a whole window).

    ``lengths`` counts records per text-length bucket (:data:`LENGTH_BUCKETS` over
    :data:`LENGTH_EDGES`) and ``length_sum`` is their exact total; ``foreign`` counts records
    with an ``UNSUPPORTED_LANGUAGE`` finding and ``languages`` each language those findings name
    (a record naming two counts under both); ``scores`` counts, per finding type, the records
    whose highest score of that type falls in each of the :data:`SCORE_BUCKETS`, and
    ``score_sums`` adds those highest scores up. Binned counts add up across hours and groups,
    so an hourly rollup of them answers for any run of hours exactly as the records would.
    """

    records: int = 0
    length_sum: int = 0
    foreign: int = 0
    lengths: np.ndarray[Any, Any] = field(default_factory=lambda: _zeros(LENGTH_BUCKETS))
    languages: Counter[str] = field(default_factory=Counter)
    scores: dict[str, np.ndarray[Any, Any]] = field(default_factory=dict)
    score_sums: dict[str, float] = field(default_factory=dict)

    def add(self, other: DriftCounts) -> None:
        """Add ``other``'s records to these."""
        self.records += other.records
        self.length_sum += other.length_sum
        self.foreign += other.foreign
        self.lengths += other.lengths
        self.languages.update(other.languages)
        for kind, counts in other.scores.items():
            self.score_counts(kind)[:] += counts
            self.score_sums[kind] = self.score_sums.get(kind, 0.0) + other.score_sums.get(kind, 0.0)

    def score_counts(self, kind: str) -> np.ndarray[Any, Any]:
        """The score histogram of ``kind`` (empty until counted)."""
        found = self.scores.get(kind)
        if found is None:
            found = self.scores[kind] = _zeros(SCORE_BUCKETS)
        return found

    def to_json(self) -> dict[str, Any]:
        """The JSON form an hourly rollup stores: each histogram as ``[bucket, count, ...]`` pairs
        of its non-empty buckets."""

        def pairs(counts: np.ndarray[Any, Any]) -> list[int]:
            buckets = np.flatnonzero(counts)
            return np.column_stack((buckets, counts[buckets])).ravel().tolist()

        return {
            "records": self.records,
            "lengthSum": self.length_sum,
            "foreign": self.foreign,
            "lengths": pairs(self.lengths),
            "languages": dict(self.languages),
            "scores": {kind: pairs(counts) for kind, counts in self.scores.items()},
            "scoreSums": self.score_sums,
        }

    @classmethod
    def total(cls, documents: Iterable[dict[str, Any]]) -> DriftCounts:
        """The sum of many :meth:`to_json` forms (a run of rollup rows): the pairs are gathered
        first and counted in one ``bincount`` per histogram, not added row by row."""
        out = cls()
        lengths: list[int] = []
        scores: dict[str, list[int]] = {}
        records = length_sum = foreign = 0
        for doc in documents:
            records += doc["records"]
            length_sum += doc["lengthSum"]
            lengths += doc["lengths"]
            if doc["foreign"]:
                foreign += doc["foreign"]
                out.languages.update(doc["languages"])
            for kind, flat in doc["scores"].items():
                scores.setdefault(kind, []).extend(flat)
                out.score_sums[kind] = out.score_sums.get(kind, 0.0) + doc["scoreSums"][kind]
        out.records, out.length_sum, out.foreign = int(records), int(length_sum), int(foreign)

        def counted(flat: list[int], size: int) -> np.ndarray[Any, Any]:
            pairs = np.asarray(flat, dtype=np.int64).reshape(-1, 2)
            return np.bincount(pairs[:, 0], weights=pairs[:, 1], minlength=size).astype(np.int64)[:size]

        out.lengths = counted(lengths, LENGTH_BUCKETS)
        out.scores = {kind: counted(flat, SCORE_BUCKETS) for kind, flat in scores.items()}
        return out


class _Findings(NamedTuple):
    """A record's findings expanded by the database (one row each), and fields of each finding."""

    item: Any
    policy: ColumnElement[Any]
    type: ColumnElement[Any]
    action: ColumnElement[Any]
    #: The score when it is a number, else NULL.
    score: ColumnElement[Any]
    #: ``details.language`` (set on ``UNSUPPORTED_LANGUAGE`` findings).
    language: ColumnElement[Any]


def _findings(session: Session) -> _Findings:
    """Findings expanded with ``json_each`` (SQLite) or ``json_array_elements`` (PostgreSQL),
    so no finding list crosses into Python."""
    if session.get_bind().dialect.name == "sqlite":
        item = func.json_each(AuditRow.findings).table_valued("value").alias("f")

        def sqlite_field(path: str) -> ColumnElement[Any]:
            return func.json_extract(item.c.value, path)

        number = func.json_type(item.c.value, "$.score").in_(("integer", "real"))
        return _Findings(
            item,
            sqlite_field("$.policy"),
            sqlite_field("$.type"),
            sqlite_field("$.action"),
            case((number, sqlite_field("$.score")), else_=None),
            sqlite_field("$.details.language"),
        )
    item = func.json_array_elements(AuditRow.findings).table_valued("value").alias("f")

    def pg_field(name: str) -> ColumnElement[Any]:
        return item.c.value.op("->>")(literal_column(f"'{name}'"))

    score_json = item.c.value.op("->")(literal_column("'score'"))
    details = item.c.value.op("->")(literal_column("'details'"))
    return _Findings(
        item,
        pg_field("policy"),
        pg_field("type"),
        pg_field("action"),
        case((func.json_typeof(score_json) == "number", cast(pg_field("score"), Float)), else_=None),
        details.op("->>")(literal_column("'language'")),
    )


def _with_findings(query: Select[Any], found: _Findings) -> Select[Any]:
    """``query`` over every (record, finding) pair of the records that have findings."""
    return (
        query.select_from(AuditRow)
        .join(found.item, literal_column("1") == literal_column("1"))
        .where(AuditRow.finding_types != ",")
    )


def _score_bucket(session: Session, score: Any) -> ColumnElement[Any]:
    """The :data:`SCORE_BUCKETS` bucket of a score in 0..1 (out-of-range scores in the end buckets)."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    at_least, at_most = (func.max, func.min) if sqlite else (func.greatest, func.least)
    scaled = score * literal_column(str(SCORE_BUCKETS)) + literal_column("1e-9")
    whole = cast(scaled, Integer) if sqlite else cast(func.floor(scaled), Integer)  # PostgreSQL's cast rounds
    return at_most(at_least(whole, literal_column("0")), literal_column(str(SCORE_BUCKETS - 1)))


_DriftKey = tuple[str | None, str | None, str, str | None] | None


def drift_counts(
    sessions: sessionmaker[Session],
    *,
    since: datetime,
    until: datetime,
    scope: AuditScope = AuditScope(),
    grouped: bool = False,
) -> dict[_DriftKey, DriftCounts]:
    """:class:`DriftCounts` of the records in ``[since, until)`` within ``scope``: one entry under
    None, or with ``grouped`` one per (guardrail, version, direction, application key).

    Three grouped queries, whatever the number of records: text-length buckets (with the
    unsupported-language count), the languages named, and each record's highest score per
    finding type, bucketed; the database expands the findings itself.
    """
    out: dict[_DriftKey, DriftCounts] = {}

    def entry(row: Sequence[Any]) -> DriftCounts:
        key: _DriftKey = (row[0], row[1], row[2], row[3]) if grouped else None
        found = out.get(key)
        if found is None:
            found = out[key] = DriftCounts()
        return found

    width = 4 if grouped else 0
    with sessions() as session:
        groups: list[Any] = (
            [AuditRow.guardrail_id, AuditRow.version, AuditRow.source, AuditRow.caller_key_id]
            if grouped
            else []
        )
        foreign_like = AuditRow.finding_types.like(f"%,{LANGUAGE_TYPE},%")
        length = _geometric_bucket(session, AuditRow.text_length, LENGTH_EDGES, LENGTH_RATIO)
        keys = (*groups, length)
        lengths = select(*keys, func.count(), func.sum(AuditRow.text_length), _count_if(foreign_like))
        for row in session.execute(_in_range_by(lengths, len(keys), since, until, scope)):
            counts = entry(row)
            bucket, n, total, foreign = row[width:]
            counts.records += int(n)
            counts.length_sum += int(total or 0)
            counts.foreign += int(foreign or 0)
            counts.lengths[int(bucket)] += int(n)
        found = _findings(session)
        named = func.coalesce(func.nullif(found.language, ""), "unknown")
        keys = (*groups, named)
        languages = _with_findings(select(*keys, func.count(func.distinct(AuditRow.id))), found).where(
            foreign_like, found.type == LANGUAGE_TYPE
        )
        for row in session.execute(_in_range_by(languages, len(keys), since, until, scope)):
            entry(row).languages[str(row[width])] += int(row[width + 1])
        # grouped by ``id + 0``, not ``id``: grouping by the row id itself makes SQLite walk the
        # whole table in id order (to spare a sort) instead of the records in range by time
        record = (AuditRow.id + literal_column("0")).label("record")
        best = _with_findings(
            select(*groups, found.type.label("kind"), record, func.max(found.score).label("score")), found
        ).where(found.score.is_not(None), func.coalesce(found.type, "") != "")
        per_record = _in_range_by(best, len(groups) + 2, since, until, scope).subquery()
        outer_groups = list(per_record.c)[:width]
        keys = (*outer_groups, per_record.c.kind, _score_bucket(session, per_record.c.score))
        buckets = select(*keys, func.count(), func.sum(per_record.c.score)).group_by(*_positions(len(keys)))
        for row in session.execute(buckets):
            counts = entry(row)
            kind_name, bucket, n, total = row[width:]
            counts.score_counts(str(kind_name))[int(bucket)] += int(n)
            counts.score_sums[str(kind_name)] = counts.score_sums.get(str(kind_name), 0.0) + float(total or 0)
    return out


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

    def replace(self, row: AlertRuleRow) -> AlertRuleRow:
        """Change the rule with ``row.id`` to ``row``'s settings; when and by whom it was created, and
        when it last fired (its cooldown), stay. :class:`NotFoundError` when there is no such rule."""
        settings = {
            column: getattr(row, column)
            for column in (
                "description",
                "metric",
                "scope_guardrail",
                "scope_version",
                "scope_source",
                "scope_caller",
                "window_s",
                "comparison",
                "threshold",
                "min_requests",
                "cooldown_s",
                "webhook",
                "enabled",
            )
        }
        with self._sessions.begin() as session:
            done = session.execute(update(AlertRuleRow).where(AlertRuleRow.id == row.id).values(**settings))
        if not getattr(done, "rowcount", 0):
            raise NotFoundError("alert rule", row.id)
        return self.get(row.id)

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
