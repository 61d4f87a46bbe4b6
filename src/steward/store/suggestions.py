"""The SQL of policy suggestions made from overturned review items (the rules live in
:mod:`steward.review.suggest`).

A suggestion is keyed by (guardrail, kind, target, hash of its value): an overturn that
proposes the same change joins the pending suggestion instead of adding another. Its value is
sealed (an example is an end user's text). Deciding is one conditional UPDATE
(``WHERE state = 'pending'``), so two admins never both accept one suggestion.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from steward.errors import ConflictError, NotFoundError, ShreddedError
from steward.store.models.core import as_utc, utcnow
from steward.store.models.review import ReviewSuggestion
from steward.store.review import new_id
from steward.store.sealing import Sealer

__all__ = ["SuggestionRecord", "SuggestionStore"]

#: Most item ids one suggestion lists (more overturns only count toward it).
ITEMS_MAX = 100


@dataclass(frozen=True, slots=True)
class SuggestionRecord:
    """A stored suggestion, its value unsealed (None when its data key was shredded)."""

    id: str
    guardrail_id: str
    kind: str
    target: str
    value: str | None
    item_ids: list[str]
    state: str
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    draft_revision: int | None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "id": self.id,
            "guardrailId": self.guardrail_id,
            "kind": self.kind,
            "target": self.target,
            "value": self.value,
            "items": list(self.item_ids),
            "state": self.state,
            "createdAt": as_utc(self.created_at).isoformat(),
            "decidedBy": self.decided_by,
            "decidedAt": as_utc(self.decided_at).isoformat() if self.decided_at else None,
            "draftRevision": self.draft_revision,
        }


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


class SuggestionStore:
    """Policy suggestions over one database."""

    def __init__(self, sessions: sessionmaker[Session], sealer: Sealer) -> None:
        self._sessions = sessions
        self._sealer = sealer

    def _record(self, row: ReviewSuggestion) -> SuggestionRecord:
        try:
            value: str | None = self._sealer.unseal(row.value_sealed)
        except ShreddedError:
            value = None
        return SuggestionRecord(
            id=row.id,
            guardrail_id=row.guardrail_id,
            kind=row.kind,
            target=row.target,
            value=value,
            item_ids=list(row.item_ids),
            state=row.state,
            created_at=row.created_at,
            decided_by=row.decided_by,
            decided_at=row.decided_at,
            draft_revision=row.draft_revision,
        )

    def offer(self, *, guardrail_id: str, kind: str, target: str, value: str, item_id: str) -> bool:
        """Record that ``item_id`` proposes this change; True when that added something.

        A new change becomes a pending suggestion; a known one gains the item (a decided one
        stays decided: an admin already said yes or no to exactly this change).
        """
        digest = _hash(value)
        with self._sessions() as session:
            row = session.scalars(
                select(ReviewSuggestion).where(
                    ReviewSuggestion.guardrail_id == guardrail_id,
                    ReviewSuggestion.kind == kind,
                    ReviewSuggestion.target == target,
                    ReviewSuggestion.value_hash == digest,
                )
            ).first()
            if row is None:
                session.add(
                    ReviewSuggestion(
                        id=new_id(),
                        guardrail_id=guardrail_id,
                        kind=kind,
                        target=target,
                        value_hash=digest,
                        value_sealed=self._sealer.seal(value, scope="review"),
                        item_ids=[item_id],
                        state="pending",
                        created_at=utcnow(),
                    )
                )
                session.commit()
                return True
            if item_id in row.item_ids or len(row.item_ids) >= ITEMS_MAX:
                return False
            row.item_ids = [*row.item_ids, item_id]
            session.commit()
            return True

    def get(self, suggestion_id: str) -> SuggestionRecord:
        """One suggestion; :class:`NotFoundError` if none."""
        with self._sessions() as session:
            row = session.get(ReviewSuggestion, suggestion_id[:64])
            if row is None:
                raise NotFoundError("suggestion", suggestion_id)
            return self._record(row)

    def list(self, *, states: Sequence[str] = (), limit: int = 100) -> list[SuggestionRecord]:
        """Suggestions oldest first, filtered by state."""
        query = (
            select(ReviewSuggestion).order_by(ReviewSuggestion.created_at, ReviewSuggestion.id).limit(limit)
        )
        if states:
            query = query.where(ReviewSuggestion.state.in_(list(states)))
        with self._sessions() as session:
            return [self._record(r) for r in session.scalars(query)]

    def decide(self, suggestion_id: str, *, state: str, actor: str) -> SuggestionRecord:
        """Mark a pending suggestion accepted or rejected; :class:`ConflictError` if it was decided."""
        with self._sessions() as session:
            changed = session.execute(
                update(ReviewSuggestion)
                .where(ReviewSuggestion.id == suggestion_id[:64], ReviewSuggestion.state == "pending")
                .values(state=state, decided_by=actor, decided_at=utcnow())
                .execution_options(synchronize_session=False)
            ).rowcount  # type: ignore[attr-defined]
            if changed != 1:
                session.rollback()
                row = session.get(ReviewSuggestion, suggestion_id[:64])
                if row is None:
                    raise NotFoundError("suggestion", suggestion_id)
                raise ConflictError(f"suggestion {suggestion_id!r} is already {row.state}")
            session.commit()
        return self.get(suggestion_id)

    def set_revision(self, suggestion_id: str, draft_revision: int) -> None:
        """Record which DRAFT revision an accepted suggestion produced."""
        with self._sessions() as session:
            session.execute(
                update(ReviewSuggestion)
                .where(ReviewSuggestion.id == suggestion_id[:64])
                .values(draft_revision=draft_revision)
                .execution_options(synchronize_session=False)
            )
            session.commit()

    def reopen(self, suggestion_id: str) -> None:
        """Put an accepted suggestion back to pending (its DRAFT change could not be made)."""
        with self._sessions() as session:
            session.execute(
                update(ReviewSuggestion)
                .where(ReviewSuggestion.id == suggestion_id[:64], ReviewSuggestion.state == "accepted")
                .values(state="pending", decided_by=None, decided_at=None, draft_revision=None)
                .execution_options(synchronize_session=False)
            )
            session.commit()
