"""Deleting audit records older than a retention period.

Records are deleted in chunks of ids, each in its own short transaction, so a large prune
never holds a long lock that would stall the writers of a running server.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from steward.store.models.core import AuditRow, as_utc

__all__ = ["prune"]

_CHUNK = 5000


def prune(sessions: sessionmaker[Session], *, before: datetime) -> int:
    """Delete every record created before ``before`` (naive times are UTC); returns how many."""
    cutoff = as_utc(before)
    deleted = 0
    while True:
        with sessions() as session:
            ids = list(
                session.scalars(
                    select(AuditRow.id)
                    .where(AuditRow.created_at < cutoff)
                    .order_by(AuditRow.id)
                    .limit(_CHUNK)
                )
            )
            if not ids:
                return deleted
            session.execute(delete(AuditRow).where(AuditRow.id.in_(ids)))
            session.commit()
            deleted += len(ids)
