"""The audit trail's writes and the reads that verify its chains.

:class:`steward.audit.writer.AuditWriter` inserts batches of sealed, chained rows and later
stores provenance receipts on them; :func:`steward.audit.chain.verify` reads the chained rows
in ``(chain, position)`` order, chunk by chunk, and the checkpoints retention wrote. The chain's
digests and MACs are computed in :mod:`steward.audit.chain`: this module only moves rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Engine, bindparam, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from steward.store.models.core import AuditRow
from steward.store.models.retention import AuditCheckpoint

__all__ = ["chained_after", "checkpoints", "insert_records", "store_receipts", "unchained_count"]


def insert_records(engine: Engine, rows: list[dict[str, Any]]) -> None:
    """Insert audit rows (each a dict of the same columns) in one transaction."""
    with engine.begin() as conn:
        conn.execute(insert(AuditRow), rows)


def store_receipts(
    engine: Engine, receipts: Iterable[tuple[str, str]], missing: Callable[[str, str], None]
) -> None:
    """Set each ``(request id, receipt)``'s receipt on its record, in one transaction; a request
    id with no record yet is handed to ``missing``."""
    stmt = update(AuditRow).where(AuditRow.request_id == bindparam("rid")).values(receipt=bindparam("r"))
    with engine.begin() as conn:
        for request_id, receipt in receipts:
            if conn.execute(stmt, {"rid": request_id, "r": receipt}).rowcount == 0:
                missing(request_id, receipt)


def checkpoints(sessions: sessionmaker[Session]) -> list[AuditCheckpoint]:
    """Every checkpoint retention wrote, oldest first."""
    with sessions() as session:
        return list(session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id)))


def chained_after(sessions: sessionmaker[Session], after: tuple[str, int], limit: int) -> list[AuditRow]:
    """Up to ``limit`` chained records past ``after`` = (chain id, position), in chain order."""
    chain, seq = after
    with sessions() as session:
        return list(
            session.scalars(
                select(AuditRow)
                .where(AuditRow.chain_id.is_not(None))
                .where(
                    (AuditRow.chain_id > chain) | ((AuditRow.chain_id == chain) & (AuditRow.chain_seq > seq))
                )
                .order_by(AuditRow.chain_id, AuditRow.chain_seq)
                .limit(limit)
            )
        )


def unchained_count(sessions: sessionmaker[Session]) -> int:
    """How many records carry no chain fields (written without a chain key)."""
    with sessions() as session:
        return int(
            session.scalar(select(func.count()).select_from(AuditRow).where(AuditRow.chain_id.is_(None))) or 0
        )
