"""Tables of the governance register: systems, data sets, risks, evidence and gate decisions.

Each record is kept as its validated JSON document (the pydantic model's JSON form), with
the columns queries filter or sort on alongside. The documents are the source of truth;
the columns are copies for indexes, written in the same statement.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from steward.store.base import Base
from steward.store.models.core import utcnow

__all__ = ["GovDataset", "GovDecision", "GovEvidence", "GovRisk", "GovSystem"]

_BigId = BigInteger().with_variant(Integer(), "sqlite")
_ID = 64
_NAME = 200


class GovSystem(Base):
    """An AI system of the inventory."""

    __tablename__ = "gov_systems"

    id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    name: Mapped[str] = mapped_column(String(_NAME))
    version: Mapped[str] = mapped_column(String(_NAME))
    status: Mapped[str] = mapped_column(String(16))
    doc: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class GovDataset(Base):
    """A data set's datasheet, with the facts Steward measured."""

    __tablename__ = "gov_datasets"

    id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    name: Mapped[str] = mapped_column(String(_NAME))
    version: Mapped[str] = mapped_column(String(_NAME))
    doc: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class GovRisk(Base):
    """One risk of one system's register."""

    __tablename__ = "gov_risks"

    system_id: Mapped[str] = mapped_column(String(_ID), ForeignKey("gov_systems.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    doc: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class GovEvidence(Base):
    """One piece of evidence; never changed once recorded."""

    __tablename__ = "gov_evidence"
    __table_args__ = (Index("ix_gov_evidence_system_recorded", "system_id", "recorded_at"),)

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    system_id: Mapped[str] = mapped_column(String(_ID), ForeignKey("gov_systems.id"))
    system_version: Mapped[str] = mapped_column(String(_NAME))
    kind: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    content_sha256: Mapped[str] = mapped_column(String(64))
    doc: Mapped[dict[str, Any]] = mapped_column(JSON)


class GovDecision(Base):
    """One release-gate decision (allowed or refused), kept as an audit trail."""

    __tablename__ = "gov_decisions"
    __table_args__ = (Index("ix_gov_decisions_system_decided", "system_id", "decided_at"),)

    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    system_id: Mapped[str] = mapped_column(String(_ID), ForeignKey("gov_systems.id"))
    system_version: Mapped[str] = mapped_column(String(_NAME))
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    allowed: Mapped[bool] = mapped_column(Boolean)
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(_NAME), nullable=True)
    doc: Mapped[dict[str, Any]] = mapped_column(JSON)
