"""The end user's voice: feedback on an answer, and appeals against a decision.

An application (an ``app`` key) sends them on behalf of its end users. The end user's id is
never stored: only an HMAC of it under a key derived from the server key, so feedback and
appeals of one user can be linked without the database revealing who they are.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from steward.errors import InputError, NotFoundError, PermissionDeniedError
from steward.review.items import Reason, Reviewer, State
from steward.review.queue import ReviewQueue, checked_text
from steward.store.models.core import as_utc, utcnow
from steward.store.review import (
    DecisionRecord,
    FeedbackRecord,
    ItemRecord,
    NewAppeal,
    NewItem,
    ReviewStore,
    new_id,
)

__all__ = ["APPEAL_REASON_MAX", "FEEDBACK_TEXT_MAX", "USER_ID_MAX", "Voice", "appeal_view", "user_key"]

#: Longest free text of a piece of feedback, appeal reason and end-user id.
FEEDBACK_TEXT_MAX = 2000
APPEAL_REASON_MAX = 2000
USER_ID_MAX = 256
#: Longest text an appeal may carry for the reviewer (the guard's own limit).
APPEAL_TEXT_MAX = 100_000


def user_key(server_key: bytes) -> bytes:
    """The key end-user ids are hashed with, derived from the server key."""
    return hmac.new(server_key, b"steward end-user id v1", hashlib.sha256).digest()


def _text(value: str | None, field: str, limit: int, *, required: bool = False) -> str | None:
    if value is None or (not required and value == ""):
        if required:
            raise InputError("is required", field=field)
        return None
    checked_text(value, field, limit)
    if required and not value.strip():
        raise InputError("must not be empty", field=field)
    return value


@dataclass(frozen=True, slots=True)
class Voice:
    """Feedback and appeals over a :class:`ReviewStore` and the :class:`ReviewQueue` appeals open items in."""

    queue: ReviewQueue
    key: bytes

    @property
    def store(self) -> ReviewStore:
        """The store the queue writes to."""
        return self.queue.store

    def user_hash(self, user_id: str | None) -> str | None:
        """The keyed hash standing in for an end user's id (None when none was given)."""
        user = _text(user_id, "userId", USER_ID_MAX)
        if user is None:
            return None
        return hmac.new(self.key, user.encode("utf-8"), hashlib.sha256).hexdigest()

    def new_feedback(
        self,
        *,
        request_id: str,
        rating: int,
        caller: str,
        category: str | None = None,
        text: str | None = None,
        user_id: str | None = None,
    ) -> FeedbackRecord:
        """Feedback about the answer to ``request_id``, checked and ready to store (no I/O): the
        server queues it on its review writer, a command stores it with ``store.write``."""
        return FeedbackRecord(
            id=new_id(),
            request_id=request_id,
            rating=rating,
            category=category,
            text=_text(text, "text", FEEDBACK_TEXT_MAX),
            user_hash=self.user_hash(user_id),
            caller_key_id=caller,
            created_at=utcnow(),
        )

    def list_feedback(self, *, request_id: str | None = None, limit: int = 100) -> list[FeedbackRecord]:
        """Feedback, newest first."""
        return self.store.list_feedback(request_id=request_id, limit=limit)

    def new_appeal(
        self,
        *,
        request_id: str,
        reason: str,
        caller: Reviewer,
        text: str | None = None,
        user_id: str | None = None,
        find: Callable[[str], DecisionRecord | None] | None = None,
    ) -> tuple[NewItem, NewAppeal]:
        """Contest the decision on ``request_id``: the review item and the appeal to store (in that
        order; the server queues them on its review writer).

        The decision must be in the audit trail, made for this application's key (an admin
        may appeal any): :class:`NotFoundError` or :class:`PermissionDeniedError` otherwise.
        ``find`` gives it (default: the store's read); the server passes the one read it
        shared among concurrent appeals of the id. It is asked after the texts are checked,
        so a bad reason is refused as such whether the id exists or not.
        The reviewer sees the text the application sends along, else the text an earlier
        review item kept, else only the findings.
        """
        reason_text = _text(reason, "reason", APPEAL_REASON_MAX, required=True)
        assert reason_text is not None
        text = _text(text, "text", APPEAL_TEXT_MAX)
        decision = (find or self.store.decision)(request_id)
        if decision is None:
            raise NotFoundError("decision with request id", request_id)
        if not caller.admin and decision.caller_key_id != caller.key_id:
            raise PermissionDeniedError(f"the decision {request_id!r} was not made for this API key")
        if text is None:
            text = self.store.kept_text(request_id)
        item = self.queue.new_item(
            Reason.APPEAL,
            request_id=request_id,
            guardrail_id=decision.guardrail_id,
            version=decision.version,
            source=decision.source,
            policy_name=decision.policy_name,
            action=decision.action,
            blocked=any(f.get("action") == "BLOCKED" for f in decision.findings),
            findings=decision.findings,
            text=text,
            actor=caller.key_id,
        )
        appeal = NewAppeal(
            id=new_id(),
            request_id=request_id,
            item_id=item.id,
            user_hash=self.user_hash(user_id),
            reason=reason_text,
            caller=caller.key_id,
            created_at=item.values["created_at"],
        )
        return item, appeal

    def appeal_status(self, appeal_id: str, caller: Reviewer) -> dict[str, Any]:
        """An appeal's state, and once resolved its outcome and the reviewer's explanation."""
        appeal = self.store.get_appeal(appeal_id)
        if not caller.admin and appeal.caller_key_id != caller.key_id:
            raise NotFoundError("appeal", appeal_id)  # another application's appeal: not even its existence
        item = self.store.get_item(appeal.item_id)
        return appeal_view(appeal.id, appeal.request_id, appeal.created_at, item)


def appeal_view(
    appeal_id: str, request_id: str, created_at: datetime, item: ItemRecord | NewItem
) -> dict[str, Any]:
    """What the end user's application sees of an appeal: its state and due time, and once
    resolved the outcome (upheld or overturned) and the reviewer's explanation. ``item`` is the
    stored item, or the new one just queued (open)."""
    if isinstance(item, NewItem):
        return {
            "id": appeal_id,
            "requestId": request_id,
            "state": State.OPEN.value,
            "createdAt": as_utc(created_at).isoformat(),
            "dueAt": as_utc(item.values["due_at"]).isoformat(),
        }
    out: dict[str, Any] = {
        "id": appeal_id,
        "requestId": request_id,
        "state": item.state,
        "createdAt": as_utc(created_at).isoformat(),
        "dueAt": as_utc(item.due_at).isoformat(),
    }
    if item.state == State.RESOLVED:
        out["outcome"] = "upheld" if item.outcome == "confirmed" else "overturned"
        out["explanation"] = item.explanation
        out["resolvedAt"] = as_utc(item.resolved_at).isoformat() if item.resolved_at else None
    return out
