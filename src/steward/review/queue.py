"""The review queue: what enters it, and what reviewers do with it.

Decisions enter when the guard marked a finding for review (a REVIEW rule or a content
score in a review band), when a sampled share of passed traffic is drawn for audit (the
policy's ``review.audit_sample_rate``), and through appeals and hand-offs. The caller has
already been answered; the item only records the decision and the text (sealed).

A verdict is *confirm* (the decision was right) or *overturn* (it was wrong: the reviewer
gives the correct label, 1 = should be caught, and category). Under four-eyes the first
verdict reopens the item for a second, different key: agreeing verdicts resolve it,
disagreeing ones escalate it to an admin, whose verdict is final.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from steward.assessment import Action, Assessment, FindingAction
from steward.errors import InputError
from steward.policy.schema import Policy
from steward.review.items import Outcome, Reason, Reviewer, SlaSettings, State
from steward.store.models.core import as_utc, utcnow
from steward.store.review import ItemRecord, NewItem, ReviewStore, new_id
from steward.store.sealing import Sealer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

__all__ = [
    "CATEGORY_MAX",
    "NOTE_MAX",
    "ReviewQueue",
    "checked_text",
    "item_summary",
    "item_view",
    "opened",
]

log = logging.getLogger(__name__)

#: Longest comment or explanation a reviewer may write.
NOTE_MAX = 4000
#: Longest category name.
CATEGORY_MAX = 64
#: Retention of items whose policy is not known (appeals, hand-offs): days.
DEFAULT_RETENTION_DAYS = 90


def checked_text(value: object, field: str, limit: int) -> str:
    """``value`` if it is a string of at most ``limit`` characters that UTF-8 can hold.

    Notes, explanations, feedback and appeals are all stored and exported, so one check
    serves them all; anything else is an :class:`InputError` naming ``field``.
    """
    if not isinstance(value, str):
        raise InputError(f"must be a string, not {type(value).__name__}", field=field)
    if len(value) > limit:
        raise InputError(f"is {len(value)} characters, over the limit of {limit}", field=field)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InputError(
            f"is not valid UTF-8 (an unpaired surrogate at character {exc.start})", field=field
        ) from None
    return value


def _note(value: str | None, field: str) -> str | None:
    return None if value is None else checked_text(value, field, NOTE_MAX)


def _category(value: str | None) -> str | None:
    if value is None:
        return None
    if not value or len(value) > CATEGORY_MAX or not all(c.isalnum() or c in "_-" for c in value):
        raise InputError(
            f"must be 1-{CATEGORY_MAX} letters, digits, '_' or '-', such as HATE", field="category"
        )
    return value


def opened(item: NewItem) -> None:
    """Log that an item was stored: its id, why and for which request, never its text."""
    log.info(
        "review item %s opened (%s) for request %s", item.id, item.values["reason"], item.values["request_id"]
    )


def flagged(item: ItemRecord) -> bool:
    """Whether the guard treated the text as something to catch (blocked, or marked for review)."""
    return item.blocked or any(f.get("review") for f in item.findings)


def flagged_category(item: ItemRecord) -> str | None:
    """The category the guard pointed at: a review finding's type, else a blocking finding's."""
    for finding in item.findings:
        if finding.get("review"):
            return str(finding.get("type"))
    for finding in item.findings:
        if finding.get("action") == FindingAction.BLOCKED.value:
            return str(finding.get("type"))
    return None


class ReviewQueue:
    """Routes decisions to review and carries out reviewer actions over a :class:`ReviewStore`."""

    def __init__(
        self,
        store: ReviewStore,
        *,
        sla: SlaSettings | None = None,
        sample: Callable[[], float] = random.random,
    ) -> None:
        self.store = store
        self.sla = sla or SlaSettings()
        self._sample = sample

    @classmethod
    def over(
        cls, sessions: sessionmaker[Session], sealer: Sealer, *, sla: SlaSettings | None = None
    ) -> ReviewQueue:
        """A queue over a database's sessions, sealing text with the server key's ``sealer``."""
        return cls(ReviewStore(sessions, sealer), sla=sla)

    # -- entering the queue ------------------------------------------------------------------

    def reason_for(
        self, assessment: Assessment, policy: Policy, *, consequential: bool = False
    ) -> Reason | None:
        """Why this decision goes to review, or None.

        Review findings first; then, for a guardrail version serving a consequential system,
        a draw at ``review.consequential_sample_rate``; then, for a passed text, a draw at
        ``review.audit_sample_rate``.
        """
        if assessment.needs_review:
            return Reason.POLICY_REVIEW
        settings = policy.review
        if consequential and self._draw(settings.consequential_sample_rate):
            return Reason.CONSEQUENTIAL_SYSTEM
        if assessment.action is Action.NONE and self._draw(settings.audit_sample_rate):
            return Reason.SAMPLED_AUDIT
        return None

    def _draw(self, rate: float) -> bool:
        return rate >= 1.0 or (rate > 0.0 and self._sample() < rate)

    def routed(
        self,
        assessment: Assessment,
        text: str,
        policy: Policy,
        *,
        request_id: str,
        guardrail_id: str | None,
        version: str | None,
        actor: str,
        consequential: bool = False,
    ) -> NewItem | None:
        """The item this decision opens if it needs a person (see :meth:`reason_for`), not yet
        stored (:meth:`add`, or the server's writer); None when it needs none. No I/O.

        ``consequential``: the guardrail version serves a system registered as consequential.
        """
        reason = self.reason_for(assessment, policy, consequential=consequential)
        if reason is None:
            return None
        return self.new_item(
            reason,
            request_id=request_id,
            guardrail_id=guardrail_id,
            version=version,
            source=assessment.source.value,
            policy_name=assessment.policy_name,
            action=assessment.action.value,
            blocked=assessment.blocked,
            findings=[f.to_dict(include_match=False) for f in assessment.findings],
            text=text,
            four_eyes=policy.review.needs_four_eyes(consequential=consequential),
            retention_days=policy.review.retention_days,
            actor=actor,
        )

    def new_item(
        self,
        reason: Reason,
        *,
        request_id: str,
        source: str,
        action: str,
        findings: list[dict[str, Any]],
        text: str | None,
        actor: str,
        guardrail_id: str | None = None,
        version: str | None = None,
        policy_name: str = "",
        blocked: bool = False,
        four_eyes: bool = False,
        retention_days: int = DEFAULT_RETENTION_DAYS,
    ) -> NewItem:
        """A new open item, not yet stored; its due time follows the reason's SLA."""
        now = utcnow()
        return NewItem(
            {
                "id": new_id(),
                "request_id": request_id,
                "guardrail_id": guardrail_id,
                "version": version,
                "source": source,
                "policy_name": policy_name[:64],
                "action": action,
                "blocked": blocked,
                "reason": reason.value,
                "caller_key_id": actor,  # the key whose request opened it: review rates per application
                "findings": findings,
                "four_eyes": four_eyes,
                "created_at": now,
                "due_at": self.sla.due(reason, now),
                "expires_at": now + timedelta(days=retention_days),
            },
            text,
            actor,
        )

    def add(self, item: NewItem) -> str:
        """Store a new item (:meth:`new_item`'s or :meth:`routed`'s) at once; its id. The server
        queues items on its review writer instead, so that no request waits for a commit."""
        self.store.write([item])
        opened(item)
        return item.id

    # -- reviewer actions --------------------------------------------------------------------

    def claim(self, item_id: str, reviewer: Reviewer) -> ItemRecord:
        """Take an open item (an escalated one: admins only); exactly one of concurrent claimers wins."""
        self.store.claim(item_id, reviewer.key_id, may_take_escalated=reviewer.admin)
        return self.store.get_item(item_id)

    def release(self, item_id: str, reviewer: Reviewer) -> ItemRecord:
        """Put a claimed item back (the holder, or an admin)."""
        item = self.store.get_item(item_id, full=False)
        state = State.ESCALATED if item.escalated and item.state == State.CLAIMED else State.OPEN
        self.store.change_claimed(
            item_id,
            reviewer.key_id,
            action="release",
            values={"state": state.value, "assignee": None},
            detail={"holder": item.assignee},
            any_assignee=reviewer.admin,
        )
        return self.store.get_item(item_id)

    def escalate(self, item_id: str, reviewer: Reviewer, note: str | None = None) -> ItemRecord:
        """Hand a claimed item to the admins (with an optional note)."""
        self.store.change_claimed(
            item_id,
            reviewer.key_id,
            action="escalate",
            values={"state": State.ESCALATED.value, "assignee": None, "escalated": True},
            detail={},
            note=_note(note, "note"),
        )
        return self.store.get_item(item_id)

    def comment(self, item_id: str, reviewer: Reviewer, note: str) -> ItemRecord:
        """Add a comment to the item's history."""
        text = _note(note, "note")
        if not text or not text.strip():
            raise InputError("must not be empty", field="note")
        self.store.comment(item_id, reviewer.key_id, text)
        return self.store.get_item(item_id)

    def confirm(self, item_id: str, reviewer: Reviewer, explanation: str | None = None) -> ItemRecord:
        """The decision was right: the label is what the guard did (1 if it flagged the text)."""
        item = self.store.get_item(item_id, full=False)
        label = 1 if flagged(item) else 0
        category = flagged_category(item) if label else None
        return self._verdict(item, reviewer, Outcome.CONFIRMED, label, category, explanation)

    def overturn(
        self,
        item_id: str,
        reviewer: Reviewer,
        *,
        label: int,
        category: str | None = None,
        explanation: str | None = None,
    ) -> ItemRecord:
        """The decision was wrong: ``label`` (1 = should be caught) and ``category`` are the correct ones."""
        if isinstance(label, bool) or label not in (0, 1):
            raise InputError(f"must be 0 or 1, not {label!r}", field="label")
        category = _category(category)
        if label == 1 and category is None:
            raise InputError(
                "is needed when the correct label is 1 (what should have been caught)", field="category"
            )
        item = self.store.get_item(item_id, full=False)
        return self._verdict(item, reviewer, Outcome.OVERTURNED, label, category, explanation)

    def _verdict(
        self,
        item: ItemRecord,
        reviewer: Reviewer,
        outcome: Outcome,
        label: int,
        category: str | None,
        explanation: str | None,
    ) -> ItemRecord:
        explanation = _note(explanation, "explanation")
        # Every change below is conditional on the item still being claimed by this key: the
        # store refuses (wrong state, another holder) atomically, naming the problem.
        detail: dict[str, Any] = {"outcome": outcome.value, "label": label, "category": category}
        final = reviewer.admin and item.escalated
        if item.four_eyes and not final and item.first_reviewer is None:
            self.store.change_claimed(
                item.id,
                reviewer.key_id,
                action="verdict-1",
                values={
                    "state": State.OPEN.value,
                    "assignee": None,
                    "first_reviewer": reviewer.key_id,
                    "first_outcome": outcome.value,
                    "first_label": label,
                    "first_category": category,
                },
                detail=detail,
                note=explanation,
            )
            return self.store.get_item(item.id)
        if item.four_eyes and not final:
            agree = (item.first_outcome, item.first_label, item.first_category) == (
                outcome.value,
                label,
                category,
            )
            if not agree:
                self.store.change_claimed(
                    item.id,
                    reviewer.key_id,
                    action="disagree",
                    values={"state": State.ESCALATED.value, "assignee": None, "escalated": True},
                    detail={**detail, "first": item.first_outcome},
                    note=explanation,
                )
                return self.store.get_item(item.id)
        self.store.change_claimed(
            item.id,
            reviewer.key_id,
            action=outcome.value,
            values={
                "state": State.RESOLVED.value,
                "outcome": outcome.value,
                "label": label,
                "category": category,
                "resolved_by": reviewer.key_id,
                "resolved_at": utcnow(),
            },
            detail=detail,
            explanation=explanation,
            note=explanation,
        )
        return self.store.get_item(item.id)

    def purge_expired(self) -> int:
        """Drop the text of items past their retention (their verdicts stay)."""
        return self.store.purge_expired()


def item_summary(item: ItemRecord) -> dict[str, Any]:
    """An item as listings show it: no text."""
    return {
        "id": item.id,
        "requestId": item.request_id,
        "guardrailId": item.guardrail_id,
        "version": item.version,
        "source": item.source,
        "reason": item.reason,
        "state": item.state,
        "assignee": item.assignee,
        "action": item.action,
        "blocked": item.blocked,
        "fourEyes": item.four_eyes,
        "firstReviewer": item.first_reviewer,
        "outcome": item.outcome,
        "label": item.label,
        "category": item.category,
        "createdAt": as_utc(item.created_at).isoformat(),
        "dueAt": as_utc(item.due_at).isoformat(),
        "overdue": item.state in (State.OPEN, State.CLAIMED, State.ESCALATED)
        and as_utc(item.due_at) < utcnow(),
        "resolvedAt": as_utc(item.resolved_at).isoformat() if item.resolved_at else None,
    }


def item_view(item: ItemRecord) -> dict[str, Any]:
    """An item as a reviewer sees it: its text (unsealed), findings with spans, and history."""
    return {
        **item_summary(item),
        "policyName": item.policy_name,
        "text": item.text,
        "textKept": item.has_text,
        "findings": item.findings,
        "explanation": item.explanation,
        "expiresAt": as_utc(item.expires_at).isoformat(),
        "history": [h.to_dict() for h in item.history],
    }
