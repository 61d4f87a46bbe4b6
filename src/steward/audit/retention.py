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

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from steward.audit.chain import checkpoint_mac
from steward.settings import Settings
from steward.store.envelope import KINDS, scopes, shred
from steward.store.models.core import as_utc
from steward.store.retention import (
    CheckpointMac,
    delete_audit,
    delete_older,
    drop_review_texts,
    forget_user,
    guardrail_periods,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

__all__ = [
    "PruneReport",
    "RetentionRules",
    "enforce",
    "forget_subject",
    "kind_periods",
    "prune",
    "retention_job",
]


def kind_periods(env: Mapping[str, str] | None = None) -> dict[str, int | None]:
    """Days to keep each kind, from ``STEWARD_RETENTION_*_DAYS`` (through :class:`Settings`; ``env``
    instead of the environment when given); a bad value is an InputError naming it."""
    settings = Settings.from_env(environ=env)
    days = {
        "audit": settings.retention_audit_days,
        "review": settings.retention_review_days,
        "feedback": settings.retention_feedback_days,
    }
    return {kind: days[kind] for kind in KINDS}


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
        guardrails = guardrail_periods(sessions)
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


def _mac(chain_key: bytes | None) -> CheckpointMac | None:
    return partial(checkpoint_mac, chain_key) if chain_key is not None else None


def prune(sessions: sessionmaker[Session], *, before: datetime, chain_key: bytes | None = None) -> int:
    """Delete every audit record created before ``before`` (naive times are UTC); returns how many.

    With ``chain_key`` the removed chain positions are checkpointed (see the module docstring).
    """
    deleted, _ = delete_audit(sessions, before=before, mac=_mac(chain_key), reason="retention")
    return deleted


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
    mac = _mac(chain_key)
    # audit: each guardrail with a period of its own, then the rest under the kind's period
    own = {gid: days for (kind, gid), days in rules.guardrails.items() if kind == "audit"}
    for gid, days in sorted(own.items()):
        n, c = delete_audit(
            sessions, before=when - timedelta(days=days), guardrail=gid, mac=mac, reason="retention"
        )
        report.audit, report.checkpoints = report.audit + n, report.checkpoints + c
    default = rules.kinds.get("audit")
    if default is not None:
        n, c = delete_audit(
            sessions, before=when - timedelta(days=default), other_than=list(own), mac=mac, reason="retention"
        )
        report.audit, report.checkpoints = report.audit + n, report.checkpoints + c
    # reviews: the text at each item's own expiry (set from its guardrail's policy), the item later
    report.review_texts = drop_review_texts(sessions, when)
    review_days = rules.kinds.get("review")
    if review_days is not None:
        report.review_items = delete_older(sessions, "review", when - timedelta(days=review_days))
    feedback_days = rules.kinds.get("feedback")
    if feedback_days is not None:
        report.feedback = delete_older(sessions, "feedback", when - timedelta(days=feedback_days))
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
    report.appeals, report.review_items, report.feedback = forget_user(sessions, user_hash)
    return report


def retention_job(sessions: sessionmaker[Session], chain_key: bytes | None) -> Callable[[], int]:
    """What the server's scheduler calls: load the rules afresh (policies change) and enforce them."""
    kind_periods()  # a bad STEWARD_RETENTION_* value stops the server at start-up, naming it

    def run() -> int:
        return enforce(sessions, RetentionRules.load(sessions), chain_key=chain_key).total

    return run
