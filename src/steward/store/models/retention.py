"""The table of audit checkpoints: what retention pruned from each audit chain.

Pruning deletes audit records, which would leave gaps that :func:`steward.audit.chain.verify`
must report as tampering. Before deleting, the pruner writes one checkpoint per run of
consecutive chain positions it removes: the chain, the first and last position, and the
digest of the last removed record (the next kept record's ``prev_digest`` points at it).
Each checkpoint carries an HMAC under the audit-chain key, so nobody without the server key
can forge one to hide a deletion.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from steward.store.base import Base
from steward.store.models.core import _BigId, utcnow

__all__ = ["AuditCheckpoint"]


class AuditCheckpoint(Base):
    """One run of consecutive positions of one audit chain removed by retention."""

    __tablename__ = "audit_checkpoints"
    __table_args__ = (Index("ix_audit_checkpoints_chain", "chain_id", "seq_from"),)

    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    chain_id: Mapped[str] = mapped_column(String(32))
    seq_from: Mapped[int] = mapped_column(Integer)
    seq_to: Mapped[int] = mapped_column(Integer)
    #: The digest of the record at ``seq_to`` (the next kept record's ``prev_digest``).
    last_digest: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(32))
    pruned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: HMAC-SHA256 of the fields above under the audit-chain key.
    mac: Mapped[str] = mapped_column(String(64))
