"""The deletes retention runs (:mod:`steward.audit.retention` decides what is past its time).

Rows are deleted in chunks of ids, each in its own short transaction, so a large prune never
holds a long lock that would stall a running server's writers. Chained audit records are
deleted in the same transaction as the checkpoints that vouch for them
(:class:`~steward.store.models.retention.AuditCheckpoint`), so the chain still verifies; the
caller passes the function that MACs a checkpoint, so the chain key stays with
:mod:`steward.audit.chain`. Review items go with their history and appeals, explicitly (no reliance on cascades).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, delete, not_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from steward.store.models.core import AuditRow, Guardrail, as_utc
from steward.store.models.retention import AuditCheckpoint
from steward.store.models.review import Appeal, Feedback, ReviewAction, ReviewItem

__all__ = [
    "CheckpointMac",
    "delete_audit",
    "delete_older",
    "drop_review_texts",
    "forget_user",
    "guardrail_periods",
]

_CHUNK = 5000

#: ``(chain id, first position, last position, digest of the last, reason) -> MAC`` of a checkpoint.
CheckpointMac = Callable[[str, int, int, str, str], str]


def guardrail_periods(sessions: sessionmaker[Session]) -> dict[tuple[str, str], int]:
    """``(kind, guardrail id) -> days`` from each guardrail's DRAFT policy; kind is ``audit`` or ``review-text``."""
    periods: dict[tuple[str, str], int] = {}
    with sessions() as session:
        for gid, policy in session.execute(select(Guardrail.id, Guardrail.draft_policy)):
            audit = (policy or {}).get("audit") or {}
            review = (policy or {}).get("review") or {}
            if isinstance(audit.get("retention_days"), int):
                periods[("audit", gid)] = audit["retention_days"]
            if isinstance(review.get("retention_days"), int):
                periods[("review-text", gid)] = review["retention_days"]
    return periods


def _runs(rows: list[tuple[str, int, str]]) -> list[tuple[str, int, int, str]]:
    """Consecutive positions of each chain, as ``(chain, first, last, digest of last)``."""
    out: list[tuple[str, int, int, str]] = []
    for chain, seq, digest in sorted(rows):
        if out and out[-1][0] == chain and out[-1][2] + 1 == seq:
            out[-1] = (chain, out[-1][1], seq, digest)
        else:
            out.append((chain, seq, seq, digest))
    return out


def delete_audit(
    sessions: sessionmaker[Session],
    *,
    before: datetime,
    guardrail: str | None = None,
    other_than: Collection[str] | None = None,
    mac: CheckpointMac | None,
    reason: str,
) -> tuple[int, int]:
    """Delete the audit records created before ``before`` (naive times are UTC), checkpointing
    chained ones when ``mac`` is given; returns (records, checkpoints).

    ``guardrail`` keeps the delete to that guardrail's records; ``other_than`` to the records
    of no guardrail or of one not in it.
    """
    where: ColumnElement[bool] = AuditRow.created_at < as_utc(before)
    if guardrail is not None:
        where = and_(AuditRow.guardrail_id == guardrail, where)
    if other_than is not None:
        rest = or_(AuditRow.guardrail_id.is_(None), not_(AuditRow.guardrail_id.in_(list(other_than) or [""])))
        where = and_(rest, where)
    deleted = written = 0
    while True:
        with sessions() as session:
            rows = list(
                session.execute(
                    select(AuditRow.id, AuditRow.chain_id, AuditRow.chain_seq, AuditRow.digest)
                    .where(where)
                    .order_by(AuditRow.id)
                    .limit(_CHUNK)
                )
            )
            if not rows:
                return deleted, written
            chained = [(str(c), int(s), str(d)) for _, c, s, d in rows if c is not None and s is not None]
            if chained and mac is not None:
                for chain, first, last, digest in _runs(chained):
                    session.add(
                        AuditCheckpoint(
                            chain_id=chain,
                            seq_from=first,
                            seq_to=last,
                            last_digest=digest,
                            reason=reason,
                            mac=mac(chain, first, last, digest, reason),
                        )
                    )
                    written += 1
            session.execute(delete(AuditRow).where(AuditRow.id.in_([r[0] for r in rows])))
            session.commit()
            deleted += len(rows)


def _delete_items(session: Session, item_ids: list[str]) -> None:
    """Delete review items with their history and appeals (explicitly: no reliance on cascades)."""
    session.execute(delete(ReviewAction).where(ReviewAction.item_id.in_(item_ids)))
    session.execute(delete(Appeal).where(Appeal.item_id.in_(item_ids)))
    session.execute(delete(ReviewItem).where(ReviewItem.id.in_(item_ids)))


def delete_older(
    sessions: sessionmaker[Session], kind: Literal["review", "feedback"], before: datetime
) -> int:
    """Delete the review items (with their history and appeals) or the feedback created before ``before``."""
    model: Any = ReviewItem if kind == "review" else Feedback
    deleted = 0
    while True:
        with sessions() as session:
            ids = list(
                session.scalars(
                    select(model.id).where(model.created_at < before).order_by(model.id).limit(_CHUNK)
                )
            )
            if not ids:
                return deleted
            if model is ReviewItem:
                _delete_items(session, ids)
            else:
                session.execute(delete(model).where(model.id.in_(ids)))
            session.commit()
            deleted += len(ids)


def drop_review_texts(sessions: sessionmaker[Session], now: datetime) -> int:
    """Forget the reviewed text of every item past its own expiry; returns how many."""
    with sessions() as session:
        dropped = session.execute(
            update(ReviewItem)
            .where(ReviewItem.expires_at < now, ReviewItem.text_sealed.is_not(None))
            .values(text_sealed=None)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        return int(getattr(dropped, "rowcount", 0) or 0)


def forget_user(sessions: sessionmaker[Session], user_hash: str) -> tuple[int, int, int]:
    """Delete one end user's appeals, the review items they opened and their feedback, in one
    transaction; returns (appeals, review items, feedback)."""
    with sessions() as session:
        items = sorted(set(session.scalars(select(Appeal.item_id).where(Appeal.user_hash == user_hash))))
        appeals = session.execute(delete(Appeal).where(Appeal.user_hash == user_hash))
        for start in range(0, len(items), _CHUNK):
            _delete_items(session, items[start : start + _CHUNK])
        feedback = session.execute(delete(Feedback).where(Feedback.user_hash == user_hash))
        session.commit()
    return (
        int(getattr(appeals, "rowcount", 0) or 0),
        len(items),
        int(getattr(feedback, "rowcount", 0) or 0),
    )
