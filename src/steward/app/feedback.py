"""End users' voice as ``/v1/feedback``, ``/v1/appeals`` and the console check and list it.

:class:`FeedbackTargets` says whether a piece of feedback may name the request it names: the
decision must be in the audit trail, made for the caller's API key (an admin's may name any).
Both refusals are the same :class:`~steward.errors.NotFoundError`, so an application cannot
learn whether another application's request id exists. The answer comes from memory when this
process looked the decision up in the last :data:`REMEMBER_S` seconds, else from one indexed
read of the audit trail; the audit writer is asynchronous, so a miss first stores what this
process's writer still holds (a decision made a moment ago may still be queued) and reads once
more. Memory forgets after :data:`REMEMBER_S` because retention deletes decisions (the server's
purge, ``steward db prune``, in this process or another): feedback on a deleted decision is
accepted for at most that long after this process last read it, then refused like any unknown id.

The reads (:meth:`FeedbackTargets.lookup` for feedback, :meth:`FeedbackTargets.decision` for an
appeal, which needs the whole decision) do not depend on who asks, so the server shares one
among the concurrent requests naming the same id (:class:`steward.server.offload.Coalescer`):
a burst of first feedback on one answer reads the database once, not once per request.

:func:`appeal_entry` is one row of the appeals list, in the words ``GET /v1/appeals/{id}``
answers an application (state, due time, outcome), with the review item it opened.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from steward.audit.writer import AuditWriter
from steward.cache import LruCache
from steward.errors import NotFoundError
from steward.review.queue import item_summary
from steward.review.voice import appeal_view
from steward.store.review import AppealEntry, DecisionRecord, ReviewStore

__all__ = ["KNOWN_DECISIONS", "REMEMBER_S", "FeedbackTargets", "appeal_entry"]

#: Decisions a process remembers it looked up (request id and key id: about 200 bytes each).
KNOWN_DECISIONS = 20_000
#: Seconds a looked-up decision is trusted from memory before the audit trail is read again: a
#: decision retention deleted meanwhile is then refused. Far shorter than the server's purge
#: interval (an hour unless ``STEWARD_REVIEW_PURGE_INTERVAL_S`` says otherwise), and long enough
#: that a burst of feedback on one answer reads the database once.
REMEMBER_S = 300.0
#: Longest wait for this process's audit writer before a request id is called unknown (a busy
#: PostgreSQL can take over a second to commit a batch, as the appeals route found).
FLUSH_S = 5.0

_UNSEEN = object()


class FeedbackTargets:
    """Which request ids a caller may send feedback about, checked against the audit trail."""

    def __init__(
        self,
        store: ReviewStore,
        audit: AuditWriter,
        *,
        remembered: int = KNOWN_DECISIONS,
        remember_s: float = REMEMBER_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._audit = audit
        #: Request id -> the key id its decision was made for (None: made without a key), for
        #: ``remember_s`` seconds from the read (``clock``: tests move time without sleeping).
        self._known: LruCache[str, str | None] = LruCache(remembered, ttl_s=remember_s, clock=clock)

    @staticmethod
    def refusal(request_id: str) -> NotFoundError:
        """The one answer to an unknown request id and to another key's: they must not differ."""
        return NotFoundError("this API key's decision with request id", request_id)

    @staticmethod
    def allows(found: tuple[bool, str | None], key_id: str, *, admin: bool) -> bool:
        """Whether a decision as :meth:`lookup` answers it allows ``key_id``'s feedback."""
        present, owner = found
        return present and (admin or owner == key_id)

    def allowed_in_memory(self, request_id: str, key_id: str, *, admin: bool) -> bool:
        """Whether a decision this process already looked up allows the feedback (no I/O)."""
        owner = self._known.get(request_id, _UNSEEN)
        return owner is not _UNSEEN and (admin or owner == key_id)

    def lookup(self, request_id: str) -> tuple[bool, str | None]:
        """Whether the audit trail holds the decision, and the key it was made for (reads the
        database: a worker thread's job). The same for every caller, so concurrent checks of one
        id share one call (the feedback route does). An id not found is looked for again once
        this process's audit writer has stored what it holds; one found is remembered."""
        found, owner = self._store.decision_caller(request_id)
        if not found:
            self._audit.flush(timeout=FLUSH_S)  # an empty queue returns at once
            found, owner = self._store.decision_caller(request_id)
        if found:
            self._known.put(request_id, owner)
        return found, owner

    def decision(self, request_id: str) -> DecisionRecord | None:
        """The whole stored decision, which an appeal contests (reads the database: a worker
        thread's job; concurrent appeals of one id share one call, as :meth:`lookup`'s do).
        Looked for again, as there, after this process's audit writer stored what it holds."""
        found = self._store.decision(request_id)
        if found is None:
            self._audit.flush(timeout=FLUSH_S)
            found = self._store.decision(request_id)
        if found is not None:
            self._known.put(request_id, found.caller_key_id)
        return found


def appeal_entry(entry: AppealEntry) -> dict[str, Any]:
    """An appeal as the appeals list shows it: what its application sees (state, due time,
    outcome), the key that sent it, the end user's keyed hash and the review item it opened
    (as the review queue lists it)."""
    appeal, item = entry.appeal, entry.item
    view = appeal_view(appeal.id, appeal.request_id, appeal.created_at, item)
    view.pop("explanation", None)  # a list carries no reviewer's text: GET /v1/appeals/{id} does
    return {
        **view,
        "callerKeyId": appeal.caller_key_id,
        "userHash": appeal.user_hash,
        "item": item_summary(item),
    }
