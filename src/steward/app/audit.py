"""Audit-trail use cases shared by ``steward audit``/``steward db``, ``/v1/audit`` and the console.

Kept matched text is opened with the process's sealer, and the tamper chains are checked
with the key derived from the server key, so every surface reads the trail the same way.
Retention (``prune``, ``enforce``) and a data subject's erasure need the server's own key:
checkpoints and the keyed hash of a user id are made with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from steward.app.context import App
from steward.audit import chain, retention
from steward.audit import search as records
from steward.audit.chain import Verification
from steward.audit.retention import PruneReport, RetentionRules
from steward.audit.search import MAX_PAGE, POLICIES, AuditQuery

__all__ = [
    "MAX_PAGE",
    "POLICIES",
    "AuditQuery",
    "enforce_retention",
    "export",
    "forget_subject",
    "prune",
    "search",
    "verify",
]


def search(app: App, query: AuditQuery) -> dict[str, Any]:
    """One page of matching records, newest first (``next`` is the cursor for the following page)."""
    return records.search(app.sessions, query, sealer=app.keys.sealer)


def export(app: App, query: AuditQuery, *, fmt: str = "jsonl") -> Iterator[str]:
    """Every matching record, oldest first, as JSONL or CSV lines (streamed)."""
    return records.export(app.sessions, query, fmt=fmt, sealer=app.keys.sealer)


def verify(app: App, *, same_key: bool = False) -> Verification:
    """Recompute every record's HMAC and follow every writer's chain.

    With ``same_key`` a process whose server key is not the database's is refused first:
    otherwise every record would look changed or forged (the CLI may run with another key).
    """
    if same_key:
        app.require_same_key()
    return chain.verify(app.sessions, app.audit_key)


def prune(app: App, *, before: datetime) -> int:
    """Delete audit records created before ``before``; how many."""
    return retention.prune(app.sessions, before=before)


def enforce_retention(app: App) -> PruneReport:
    """Delete kept data past its retention and shred expired data keys (as the server does daily)."""
    app.require_same_key()  # checkpoints are MACed with the chain key: it must be the server's
    return retention.enforce(app.sessions, RetentionRules.load(app.sessions), chain_key=app.audit_key)


def forget_subject(app: App, user_id: str) -> PruneReport | None:
    """Delete one end user's feedback, appeals and appealed items; None for an empty id."""
    from steward.review.queue import ReviewQueue
    from steward.review.voice import Voice, user_key

    app.require_same_key()  # the keyed hash needs the server's key to match what was stored
    voice = Voice(ReviewQueue.over(app.sessions, app.keys.sealer), user_key(app.server_key))
    subject = voice.user_hash(user_id)  # the same keyed hash feedback and appeals stored
    if subject is None:
        return None
    return retention.forget_subject(app.sessions, subject)
