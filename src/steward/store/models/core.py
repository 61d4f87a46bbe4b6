"""Tables of the server core: guardrails and their versions, aliases, API keys, the audit trail.

A guardrail has one editable DRAFT policy (``draft_revision`` counts its edits, so every
process can tell whether a cached DRAFT is stale) and immutable numbered versions.
Aliases name a version (``production`` -> 3); pointing an alias back is the rollback.
Policies are stored as validated JSON documents.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from steward.store.base import Base

__all__ = [
    "ApiKey",
    "AuditRow",
    "Guardrail",
    "GuardrailAlias",
    "GuardrailVersion",
    "ServerKeyCheck",
    "as_utc",
    "utcnow",
]

#: Longest guardrail id, alias or key id (Bedrock's guardrail ids are 12 characters).
IDENT_MAX = 64

#: BIGINT on PostgreSQL, INTEGER on SQLite (where only INTEGER PRIMARY KEY auto-increments).
_BigId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (stored as such on both backends)."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """A stored time as timezone-aware UTC (SQLite hands back naive UTC times)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Guardrail(Base):
    """A named guardrail with its editable DRAFT policy."""

    __tablename__ = "guardrails"

    id: Mapped[str] = mapped_column(String(IDENT_MAX), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(200), default="")
    draft_policy: Mapped[dict[str, Any]] = mapped_column(JSON)
    draft_revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class GuardrailVersion(Base):
    """An immutable snapshot of a guardrail's policy, numbered 1, 2, ..."""

    __tablename__ = "guardrail_versions"

    guardrail_id: Mapped[str] = mapped_column(
        String(IDENT_MAX), ForeignKey("guardrails.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    description: Mapped[str] = mapped_column(String(200), default="")
    policy: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(IDENT_MAX), nullable=True)


class GuardrailAlias(Base):
    """A movable name (``production``) for one version of a guardrail."""

    __tablename__ = "guardrail_aliases"
    __table_args__ = (
        ForeignKeyConstraint(
            ["guardrail_id", "version"],
            ["guardrail_versions.guardrail_id", "guardrail_versions.version"],
            ondelete="CASCADE",
        ),
    )

    guardrail_id: Mapped[str] = mapped_column(String(IDENT_MAX), primary_key=True)
    name: Mapped[str] = mapped_column(String(IDENT_MAX), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(IDENT_MAX), nullable=True)


class ApiKey(Base):
    """An API key: its role, a slow hash of its secret, and the secret encrypted for SigV4.

    ``secret_hash`` (scrypt) checks bearer tokens; ``secret_sealed`` is the secret
    encrypted with the server key, because verifying an AWS SigV4 signature needs the
    secret itself (see docs/server.md).
    """

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(IDENT_MAX), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100), default="")
    secret_hash: Mapped[str] = mapped_column(String(255))
    secret_sealed: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class AuditRow(Base):
    """One guardrail decision. Matched text is redacted unless the policy kept it."""

    __tablename__ = "audit_records"
    __table_args__ = (
        Index("ix_audit_records_guardrail_created", "guardrail_id", "created_at"),
        Index("ix_audit_records_created_at", "created_at"),
        Index("ix_audit_records_chain", "chain_id", "chain_seq"),
    )

    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(String(IDENT_MAX), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    endpoint: Mapped[str] = mapped_column(String(32))
    guardrail_id: Mapped[str | None] = mapped_column(String(IDENT_MAX), nullable=True)
    version: Mapped[str | None] = mapped_column(String(IDENT_MAX), nullable=True)
    policy_name: Mapped[str] = mapped_column(String(64), default="")
    source: Mapped[str] = mapped_column(String(8))
    action: Mapped[str] = mapped_column(String(32))
    action_reason: Mapped[str] = mapped_column(Text, default="")
    #: Finding types between commas (``,EMAIL,HATE,``) so a type search is one LIKE.
    finding_types: Mapped[str] = mapped_column(Text, default=",")
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    text_length: Mapped[int] = mapped_column(Integer, default=0)
    latency_ms: Mapped[float] = mapped_column(Float, default=0.0)
    caller_key_id: Mapped[str | None] = mapped_column(String(IDENT_MAX), nullable=True)
    #: Tamper evidence (see :mod:`steward.audit.chain`): each writer process keeps its own chain;
    #: ``digest`` is an HMAC over the record and ``prev_digest``, the digest of the chain's previous record.
    chain_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    chain_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    prev_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: The signed provenance receipt of the answer this decision covers (a compact JWS), when the
    #: proxy issued one. Added after the record is chained and outside the digest: the receipt's
    #: own Ed25519 signature, over this record's request id, is its tamper evidence.
    receipt: Mapped[str | None] = mapped_column(Text, nullable=True)


class ServerKeyCheck(Base):
    """A fingerprint of the server key that first used this database (never the key itself).

    Sealed API-key secrets and audit-chain digests depend on the server key; with the
    fingerprint a process holding another key is told that its key differs, instead of
    seeing every audit record as forged or every signature as wrong.
    """

    __tablename__ = "server_key_checks"

    name: Mapped[str] = mapped_column(String(IDENT_MAX), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
