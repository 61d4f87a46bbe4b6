"""The queries behind audit search, count and export.

:mod:`steward.audit.search` checks a query's fields and shapes each record for the API; this
module turns the checked filters into SQL. Every filter combines with AND. A policy filter
expands a record's findings in the database itself (``json_each`` on SQLite,
``json_array_elements`` on PostgreSQL), so no finding list is read into Python to decide it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, func, literal_column, select
from sqlalchemy.orm import Session, sessionmaker

from steward.store.models.core import AuditRow

__all__ = ["AuditFilter", "count", "newest", "oldest_after"]


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Which audit rows to read, each value already checked and in its stored form (times
    timezone-aware UTC, the action upper case, the source lower case, the finding type upper
    case, the policy as findings name it, such as ``sensitiveInformationPolicy``)."""

    since: datetime | None = None
    until: datetime | None = None
    guardrail_id: str | None = None
    version: str | None = None
    action: str | None = None
    source: str | None = None
    finding_type: str | None = None
    policy: str | None = None
    endpoint: str | None = None
    caller_key_id: str | None = None
    request_id: str | None = None


def _has_policy(dialect: str, policy: str) -> ColumnElement[bool]:
    """Whether the record has a finding of ``policy``."""
    found: ColumnElement[Any]
    if dialect == "sqlite":
        item = func.json_each(AuditRow.findings).table_valued("value").alias("f")
        found = func.json_extract(item.c.value, "$.policy")
    else:
        item = func.json_array_elements(AuditRow.findings).table_valued("value").alias("f")
        found = item.c.value.op("->>")(literal_column("'policy'"))
    return exists(select(literal_column("1")).select_from(item).where(found == policy))


#: The filters that match one column exactly, named as the column.
_EQUAL = ("guardrail_id", "version", "action", "source", "endpoint", "caller_key_id", "request_id")


def _filtered(query: Select[Any], where: AuditFilter, session: Session) -> Select[Any]:
    if where.since is not None:
        query = query.where(AuditRow.created_at >= where.since)
    if where.until is not None:
        query = query.where(AuditRow.created_at <= where.until)
    for name in _EQUAL:
        value = getattr(where, name)
        if value is not None:
            query = query.where(getattr(AuditRow, name) == value)
    if where.finding_type is not None:
        # finding_types is stored as ",A,B," so one type matches whole, never a part of another.
        query = query.where(AuditRow.finding_types.contains(f",{where.finding_type},", autoescape=True))
    if where.policy is not None:
        dialect = session.get_bind().dialect.name
        query = query.where(AuditRow.finding_types != ",", _has_policy(dialect, where.policy))
    return query


def newest(
    sessions: sessionmaker[Session], where: AuditFilter, *, before_id: int | None, limit: int
) -> list[AuditRow]:
    """Up to ``limit`` matching rows, newest first, below id ``before_id`` when given."""
    with sessions() as session:
        stmt = _filtered(select(AuditRow), where, session)
        if before_id is not None:
            stmt = stmt.where(AuditRow.id < before_id)
        return list(session.scalars(stmt.order_by(AuditRow.id.desc()).limit(limit)))


def oldest_after(
    sessions: sessionmaker[Session], where: AuditFilter, *, after_id: int, limit: int
) -> list[AuditRow]:
    """Up to ``limit`` matching rows above id ``after_id``, oldest first (one chunk of an export)."""
    with sessions() as session:
        stmt = _filtered(select(AuditRow), where, session)
        return list(session.scalars(stmt.where(AuditRow.id > after_id).order_by(AuditRow.id).limit(limit)))


def count(sessions: sessionmaker[Session], where: AuditFilter) -> int:
    """How many rows match."""
    with sessions() as session:
        stmt = _filtered(select(func.count()).select_from(AuditRow), where, session)
        return int(session.scalar(stmt) or 0)
