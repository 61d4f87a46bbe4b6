"""Tables of monitoring: alert rules and the alerts they fired.

A rule names a metric over the audit trail (block rate, intervention rate, request volume,
latency), a scope (guardrail, version, direction, application key), a window, a threshold
with its comparison, a cooldown, and the name of a webhook the administrator configured
(never a URL: rules are data, the URLs alerts may reach are the operator's settings).
``last_fired_at`` is what makes firing atomic across server processes: a process fires
only if its conditional UPDATE of that column wins.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from steward.store.base import Base
from steward.store.models.core import IDENT_MAX, AuditRow, utcnow

__all__ = [
    "AUDIT_CALLER_INDEX",
    "AlertEventRow",
    "AlertRuleRow",
    "AuditFindingRollupRow",
    "AuditRollupHourRow",
    "AuditRollupRow",
]

#: Reports and alert rules scoped to one application key read its records by time; the
#: audit table's own indexes cover time alone and guardrail + time.
AUDIT_CALLER_INDEX = Index("ix_audit_records_caller_created", AuditRow.caller_key_id, AuditRow.created_at)

_BigId = BigInteger().with_variant(Integer(), "sqlite")


class AlertRuleRow(Base):
    """One alert rule; ``scope_*`` columns left empty mean "any"."""

    __tablename__ = "alert_rules"

    id: Mapped[str] = mapped_column(String(IDENT_MAX), primary_key=True)
    description: Mapped[str] = mapped_column(String(200), default="")
    metric: Mapped[str] = mapped_column(String(32))
    scope_guardrail: Mapped[str | None] = mapped_column(String(IDENT_MAX), nullable=True)
    scope_version: Mapped[str | None] = mapped_column(String(IDENT_MAX), nullable=True)
    scope_source: Mapped[str | None] = mapped_column(String(8), nullable=True)
    scope_caller: Mapped[str | None] = mapped_column(String(IDENT_MAX), nullable=True)
    window_s: Mapped[int] = mapped_column(Integer)
    comparison: Mapped[str] = mapped_column(String(2))
    threshold: Mapped[float] = mapped_column(Float)
    min_requests: Mapped[int] = mapped_column(Integer, default=1)
    cooldown_s: Mapped[int] = mapped_column(Integer)
    webhook: Mapped[str | None] = mapped_column(String(IDENT_MAX), nullable=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(IDENT_MAX), nullable=True)
    last_fired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class AlertEventRow(Base):
    """One fired alert and the state of its webhook delivery."""

    __tablename__ = "alert_events"
    __table_args__ = (Index("ix_alert_events_fired_at", "fired_at"),)

    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    rule_id: Mapped[str] = mapped_column(
        String(IDENT_MAX), ForeignKey("alert_rules.id", ondelete="CASCADE"), index=True
    )
    fired_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    metric: Mapped[str] = mapped_column(String(32))
    value: Mapped[float] = mapped_column(Float)
    threshold: Mapped[float] = mapped_column(Float)
    comparison: Mapped[str] = mapped_column(String(2))
    requests: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    window_end: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    webhook: Mapped[str | None] = mapped_column(String(IDENT_MAX), nullable=True)
    #: ``none`` (no webhook), ``pending``, ``delivered`` or ``failed``.
    delivery: Mapped[str] = mapped_column(String(16), default="none")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class _HourlyGroup:
    """The columns that place a rollup row: its hour and group (guardrail, version, direction,
    application key), and the indexes reports read it by: the hour, and the hour of the rows
    summed over the application keys (each row class adds its ``all_callers`` column)."""

    __tablename__: str

    # sort_order: first in the table, before the columns of the row class (as the migration has them)
    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True, sort_order=-1)
    hour: Mapped[datetime] = mapped_column(DateTime(timezone=True), sort_order=-1)
    guardrail_id: Mapped[str | None] = mapped_column(String(IDENT_MAX), nullable=True, sort_order=-1)
    version: Mapped[str | None] = mapped_column(String(IDENT_MAX), nullable=True, sort_order=-1)
    source: Mapped[str] = mapped_column(String(8), sort_order=-1)
    caller_key_id: Mapped[str | None] = mapped_column(String(IDENT_MAX), nullable=True, sort_order=-1)

    @declared_attr.directive
    @classmethod
    def __table_args__(cls) -> tuple[Index, ...]:
        return (
            Index(f"ix_{cls.__tablename__}_hour", "hour"),
            Index(f"ix_{cls.__tablename__}_all_hour", "all_callers", "hour"),
        )


class AuditRollupRow(_HourlyGroup, Base):
    """One hour of decisions of one (guardrail, version, direction, application key): counts, the
    latency histogram (65 bucket counts over :data:`steward.store.monitor.LATENCY_EDGES_MS`) and
    what drift compares (:class:`steward.store.monitor.DriftCounts` in its JSON form).

    Each hour also has rows with ``all_callers`` set, summed over the application keys
    (``caller_key_id`` empty): what a report that does not split by key reads, a fraction of
    the rows. Reports over windows of whole hours read these instead of every record; the hours
    rolled up are listed in :class:`AuditRollupHourRow`.
    """

    __tablename__ = "audit_rollups"

    requests: Mapped[int] = mapped_column(Integer)
    interventions: Mapped[int] = mapped_column(Integer)
    blocks: Mapped[int] = mapped_column(Integer)
    latency: Mapped[list[int]] = mapped_column(JSON)
    all_callers: Mapped[bool] = mapped_column(Boolean, default=False)
    drift: Mapped[dict[str, Any]] = mapped_column(JSON)


class AuditFindingRollupRow(_HourlyGroup, Base):
    """One hour's records with a finding of one policy type, category and action, per group (and,
    with ``all_callers``, summed over the application keys)."""

    __tablename__ = "audit_finding_rollups"

    policy: Mapped[str] = mapped_column(String(IDENT_MAX))
    type: Mapped[str] = mapped_column(String(IDENT_MAX))
    action: Mapped[str] = mapped_column(String(16))
    records: Mapped[int] = mapped_column(Integer)
    all_callers: Mapped[bool] = mapped_column(Boolean, default=False)


class AuditRollupHourRow(Base):
    """An hour whose rollups are complete (written in the same transaction as its rows), and how
    many records it held then: a report trusts the rollups only while the records in their hours
    still number the same (none arrived late, none was pruned)."""

    __tablename__ = "audit_rollup_hours"

    hour: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    records: Mapped[int] = mapped_column(Integer)
    rolled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
