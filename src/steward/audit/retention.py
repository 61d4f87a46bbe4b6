"""Retention of kept data: pruning by age per kind and per guardrail, forgetting a subject.

What is kept, and for how long:

* **audit** records: ``STEWARD_RETENTION_AUDIT_DAYS`` (unset: forever), or a guardrail's own
  ``audit.retention_days`` in its DRAFT policy;
* **review** items (with their history and appeals): ``STEWARD_RETENTION_REVIEW_DAYS``; the
  reviewed *text* goes sooner, after the guardrail's ``review.retention_days``;
* **feedback**: ``STEWARD_RETENTION_FEEDBACK_DAYS``.

:func:`enforce` deletes what is past its time and then crypto-shreds the data keys of the
days that are wholly past it (:func:`steward.store.envelope.shred`), so the texts are gone
from backups too. Rows are deleted in chunks of ids, each in its own short transaction, so a
large prune never holds a long lock that would stall a running server's writers. Audit
records are removed with checkpoints (:class:`~steward.store.models.retention.AuditCheckpoint`)
so the audit chain still verifies. The server runs :func:`enforce` on a schedule; ``steward
db prune`` runs it once; ``steward db forget-subject`` deletes one end user's feedback and
appeals (:func:`forget_subject`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, not_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from steward.audit.chain import checkpoint_mac
from steward.errors import InputError
from steward.store.envelope import KINDS, scopes, shred
from steward.store.models.core import AuditRow, Guardrail, as_utc
from steward.store.models.retention import AuditCheckpoint
from steward.store.models.review import Appeal, Feedback, ReviewAction, ReviewItem

__all__ = [
    "PruneReport",
    "RetentionRules",
    "enforce",
    "forget_subject",
    "kind_periods",
    "prune",
    "retention_job",
]

_CHUNK = 5000
#: Longest retention period accepted (100 years).
MAX_DAYS = 36500
_ENV = {"audit": "STEWARD_RETENTION_AUDIT_DAYS", "review": "STEWARD_RETENTION_REVIEW_DAYS",
        "feedback": "STEWARD_RETENTION_FEEDBACK_DAYS"}  # fmt: skip


def _days(env: Mapping[str, str], name: str) -> int | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise InputError(f"must be a whole number of days, not {raw[:40]!r}", field=name) from None
    if not 1 <= value <= MAX_DAYS:
        raise InputError(f"must be between 1 and {MAX_DAYS} days", field=name)
    return value


def kind_periods(env: Mapping[str, str] | None = None) -> dict[str, int | None]:
    """Days to keep each kind, from ``STEWARD_RETENTION_*_DAYS``; a bad value is an InputError naming it."""
    source = os.environ if env is None else env
    return {kind: _days(source, _ENV[kind]) for kind in KINDS}


@dataclass(frozen=True)
class RetentionRules:
    """Days to keep per kind (None: forever) and per guardrail where its policy says so."""

    kinds: dict[str, int | None] = field(default_factory=dict)
    #: ``(kind, guardrail id) -> days``; ``kind`` is ``audit`` or ``review-text``.
    guardrails: dict[tuple[str, str], int] = field(default_factory=dict)

    @classmethod
    def load(cls, sessions: sessionmaker[Session], env: Mapping[str, str] | None = None) -> RetentionRules:
        """Kind periods from the environment, guardrail periods from each guardrail's DRAFT policy."""
        kinds = kind_periods(env)
        guardrails: dict[tuple[str, str], int] = {}
        with sessions() as session:
            for gid, policy in session.execute(select(Guardrail.id, Guardrail.draft_policy)):
                audit = (policy or {}).get("audit") or {}
                review = (policy or {}).get("review") or {}
                if isinstance(audit.get("retention_days"), int):
                    guardrails[("audit", gid)] = audit["retention_days"]
                if isinstance(review.get("retention_days"), int):
                    guardrails[("review-text", gid)] = review["retention_days"]
        return cls(kinds=kinds, guardrails=guardrails)

    def for_scope(self, scope: str) -> int | None:
        """How long the texts of a data-key scope are kept (None: forever)."""
        kind, _, gid = scope.partition(":")
        if kind not in KINDS:
            return None  # API-key secrets and other scopes never expire
        if gid and kind == "review":
            return self.guardrails.get(("review-text", gid), self.kinds.get("review"))
        if gid and ("audit", gid) in self.guardrails:
            return self.guardrails[("audit", gid)]
        return self.kinds.get(kind)


@dataclass
class PruneReport:
    """What :func:`enforce` or :func:`forget_subject` removed."""

    audit: int = 0
    checkpoints: int = 0
    review_items: int = 0
    review_texts: int = 0
    feedback: int = 0
    appeals: int = 0
    shredded_keys: int = 0

    @property
    def total(self) -> int:
        """Rows and texts removed (not counting checkpoints written or keys shredded)."""
        return self.audit + self.review_items + self.review_texts + self.feedback + self.appeals

    def to_dict(self) -> dict[str, int]:
        """A JSON-ready summary."""
        return {
            "audit": self.audit,
            "checkpoints": self.checkpoints,
            "reviewItems": self.review_items,
            "reviewTexts": self.review_texts,
            "feedback": self.feedback,
            "appeals": self.appeals,
            "shreddedKeys": self.shredded_keys,
        }


def _runs(rows: list[tuple[str, int, str]]) -> list[tuple[str, int, int, str]]:
    """Consecutive positions of each chain, as ``(chain, first, last, digest of last)``."""
    out: list[tuple[str, int, int, str]] = []
    for chain, seq, digest in sorted(rows):
        if out and out[-1][0] == chain and out[-1][2] + 1 == seq:
            out[-1] = (chain, out[-1][1], seq, digest)
        else:
            out.append((chain, seq, seq, digest))
    return out


def _delete_audit(
    sessions: sessionmaker[Session], where: ColumnElement[bool], *, chain_key: bytes | None, reason: str
) -> tuple[int, int]:
    """Delete the audit records ``where`` selects, checkpointing chained ones; (records, checkpoints)."""
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
            if chained and chain_key is not None:
                for chain, first, last, digest in _runs(chained):
                    session.add(
                        AuditCheckpoint(
                            chain_id=chain,
                            seq_from=first,
                            seq_to=last,
                            last_digest=digest,
                            reason=reason,
                            mac=checkpoint_mac(chain_key, chain, first, last, digest, reason),
                        )
                    )
                    written += 1
            session.execute(delete(AuditRow).where(AuditRow.id.in_([r[0] for r in rows])))
            session.commit()
            deleted += len(rows)


def prune(sessions: sessionmaker[Session], *, before: datetime, chain_key: bytes | None = None) -> int:
    """Delete every audit record created before ``before`` (naive times are UTC); returns how many.

    With ``chain_key`` the removed chain positions are checkpointed (see the module docstring).
    """
    deleted, _ = _delete_audit(
        sessions, AuditRow.created_at < as_utc(before), chain_key=chain_key, reason="retention"
    )
    return deleted


def _delete_items(session: Session, item_ids: list[str]) -> None:
    """Delete review items with their history and appeals (explicitly: no reliance on cascades)."""
    session.execute(delete(ReviewAction).where(ReviewAction.item_id.in_(item_ids)))
    session.execute(delete(Appeal).where(Appeal.item_id.in_(item_ids)))
    session.execute(delete(ReviewItem).where(ReviewItem.id.in_(item_ids)))


def _delete_chunked(sessions: sessionmaker[Session], model: Any, where: ColumnElement[bool]) -> int:
    deleted = 0
    while True:
        with sessions() as session:
            ids = list(session.scalars(select(model.id).where(where).order_by(model.id).limit(_CHUNK)))
            if not ids:
                return deleted
            if model is ReviewItem:
                _delete_items(session, ids)
            else:
                session.execute(delete(model).where(model.id.in_(ids)))
            session.commit()
            deleted += len(ids)


def enforce(
    sessions: sessionmaker[Session],
    rules: RetentionRules,
    *,
    chain_key: bytes | None,
    now: datetime | None = None,
) -> PruneReport:
    """Delete every kept row past its retention, then shred the data keys of days wholly past it."""
    when = as_utc(now or datetime.now(UTC))
    report = PruneReport()
    # audit: each guardrail with a period of its own, then the rest under the kind's period
    own = {gid: days for (kind, gid), days in rules.guardrails.items() if kind == "audit"}
    for gid, days in sorted(own.items()):
        n, c = _delete_audit(
            sessions,
            and_(AuditRow.guardrail_id == gid, AuditRow.created_at < when - timedelta(days=days)),
            chain_key=chain_key,
            reason="retention",
        )
        report.audit, report.checkpoints = report.audit + n, report.checkpoints + c
    default = rules.kinds.get("audit")
    if default is not None:
        rest = or_(AuditRow.guardrail_id.is_(None), not_(AuditRow.guardrail_id.in_(list(own) or [""])))
        n, c = _delete_audit(
            sessions,
            and_(rest, AuditRow.created_at < when - timedelta(days=default)),
            chain_key=chain_key,
            reason="retention",
        )
        report.audit, report.checkpoints = report.audit + n, report.checkpoints + c
    # reviews: the text at each item's own expiry (set from its guardrail's policy), the item later
    with sessions() as session:
        dropped = session.execute(
            update(ReviewItem)
            .where(ReviewItem.expires_at < when, ReviewItem.text_sealed.is_not(None))
            .values(text_sealed=None)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        report.review_texts = int(getattr(dropped, "rowcount", 0) or 0)
    review_days = rules.kinds.get("review")
    if review_days is not None:
        report.review_items = _delete_chunked(
            sessions, ReviewItem, ReviewItem.created_at < when - timedelta(days=review_days)
        )
    feedback_days = rules.kinds.get("feedback")
    if feedback_days is not None:
        report.feedback = _delete_chunked(
            sessions, Feedback, Feedback.created_at < when - timedelta(days=feedback_days)
        )
    # crypto-shredding: a day's key goes once that whole day is past the scope's period
    for scope in scopes(sessions):
        keep = rules.for_scope(scope)
        if keep is not None:
            report.shredded_keys += shred(sessions, scope=scope, before=(when - timedelta(days=keep)).date())
    return report


def forget_subject(sessions: sessionmaker[Session], user_hash: str) -> PruneReport:
    """Delete everything kept about one end user (by the keyed hash of their id).

    Their feedback, their appeals and the review items those appeals opened (which hold the
    user's own message) go. Audit records hold no end-user id, so they stay. The texts were
    sealed under shared per-day data keys, so copies in older backups become unreadable when
    those days' keys are shredded by retention, not at once.
    """
    report = PruneReport()
    with sessions() as session:
        items = sorted(set(session.scalars(select(Appeal.item_id).where(Appeal.user_hash == user_hash))))
        appeals = session.execute(delete(Appeal).where(Appeal.user_hash == user_hash))
        report.appeals = int(getattr(appeals, "rowcount", 0) or 0)
        for start in range(0, len(items), _CHUNK):
            _delete_items(session, items[start : start + _CHUNK])
        report.review_items = len(items)
        feedback = session.execute(delete(Feedback).where(Feedback.user_hash == user_hash))
        report.feedback = int(getattr(feedback, "rowcount", 0) or 0)
        session.commit()
    return report


def retention_job(sessions: sessionmaker[Session], chain_key: bytes | None) -> Callable[[], int]:
    """What the server's scheduler calls: load the rules afresh (policies change) and enforce them."""
    kind_periods()  # a bad STEWARD_RETENTION_* value stops the server at start-up, naming it

    def run() -> int:
        return enforce(sessions, RetentionRules.load(sessions), chain_key=chain_key).total

    return run
