"""Policy suggestions from overturned review items: every correction a reviewer makes can
become a proposed policy change, which only an admin can turn into an edit of the DRAFT.

* A **false positive** (the guard blocked or flagged the text, a reviewer overturned it to
  label 0) proposes removing each custom word that fired (``remove_word``). Words of a managed
  list cannot be removed one by one and are not proposed. Each denied topic that acted on it
  (blocked it, or sent it to review) and is still in the DRAFT gets the text that matched as an
  exception (``add_topic_exception``): the sentence the finding points at when the item kept the
  text, which is what the detector compares (:mod:`steward.detectors.topics`), when it fits the
  policy's limit for exceptions.
* A **false negative** (overturned to label 1) whose category names a denied topic of the
  guardrail's DRAFT proposes the text as that topic's example (``add_topic_example``), when it
  fits the policy's limit for examples.

Nothing else is proposed; what was passed over is counted by why, so the numbers say how many
overturns had no policy change to offer. Accepting goes through the guardrail store's DRAFT
update (the same use case as ``PUT /v1/guardrails/{id}``): it bumps the DRAFT revision and never
touches a numbered version, so the change ships only when someone freezes a new version.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from steward.assessment import FindingAction, PolicyKind
from steward.errors import ConflictError, NotFoundError
from steward.policy import limits
from steward.policy.io import parse_policy
from steward.policy.schema import Policy
from steward.review.items import Outcome
from steward.review.queue import flagged
from steward.store.guardrails import GuardrailInfo, GuardrailStore
from steward.store.review import ItemRecord, ReviewStore
from steward.store.suggestions import SuggestionRecord, SuggestionStore

__all__ = ["Kind", "Proposal", "SuggestCount", "Suggester", "apply_change", "proposals"]

WORD_TARGET = "word_filters.words"


class Kind(StrEnum):
    """What a suggestion would change."""

    REMOVE_WORD = "remove_word"
    ADD_TOPIC_EXAMPLE = "add_topic_example"
    ADD_TOPIC_EXCEPTION = "add_topic_exception"


@dataclass(frozen=True, slots=True)
class Proposal:
    """One change an overturn proposes: its kind, where (a topic's name, or the word list), and the value."""

    kind: Kind
    target: str
    value: str


@dataclass(slots=True)
class SuggestCount:
    """What one pass over the overturns did: suggestions offered (new or joined) and overturns passed over, by why."""

    offered: int = 0
    skipped: Counter[str] = field(default_factory=Counter)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready form."""
        return {"offered": self.offered, "skipped": dict(sorted(self.skipped.items()))}


def _topic(policy: Policy, name: str) -> str | None:
    wanted = name.casefold()
    for topic in policy.denied_topics:
        if topic.name.casefold() == wanted or topic.name.replace(" ", "_").casefold() == wanted:
            return topic.name
    return None


def _topic_exceptions(item: ItemRecord, policy: Policy, skipped: Counter[str]) -> list[Proposal]:
    """An exception for each DRAFT topic whose finding acted on the overturned ``item``: the
    piece of text the finding points at (the whole text when its span does not fit it)."""
    text = item.text or ""
    out: dict[str, str] = {}
    for finding in item.findings:
        acted = finding.get("action") == FindingAction.BLOCKED.value or finding.get("review")
        if finding.get("policy") != PolicyKind.TOPIC.value or not acted:
            continue
        topic = _topic(policy, str(finding.get("type") or ""))
        if topic is None or topic in out:
            continue
        start, end = finding.get("start"), finding.get("end")
        if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
            piece = text[start:end].strip()
        else:
            piece = text.strip()
        if not piece:
            skipped["text_not_kept"] += 1
        elif len(piece) > limits.TOPIC_EXCEPTION_MAX:
            skipped["text_longer_than_an_exception"] += 1
        else:
            out[topic] = piece
    return [Proposal(Kind.ADD_TOPIC_EXCEPTION, topic, piece) for topic, piece in sorted(out.items())]


def proposals(item: ItemRecord, policy: Policy, skipped: Counter[str] | None = None) -> list[Proposal]:
    """The changes one overturned item proposes against ``policy`` (its guardrail's DRAFT)."""
    skipped = Counter() if skipped is None else skipped
    if item.outcome != Outcome.OVERTURNED.value:
        skipped["not_overturned"] += 1
        return []
    if item.label == 0:
        if not flagged(item):
            skipped["nothing_fired"] += 1
            return []
        words = {
            str(f.get("details", {}).get("word"))
            for f in item.findings
            if f.get("rule") == WORD_TARGET
            and isinstance(f.get("details"), dict)
            and f["details"].get("word")
        }
        listed = set(policy.word_filters.words) if policy.word_filters else set()
        found = sorted(w for w in words if w in listed)
        exceptions = _topic_exceptions(item, policy, skipped)
        if not found and not exceptions:
            skipped["no_custom_word_or_topic_fired"] += 1
        return [Proposal(Kind.REMOVE_WORD, WORD_TARGET, w) for w in found] + exceptions
    topic = _topic(policy, item.category or "")
    if topic is None:
        skipped["category_is_not_a_denied_topic"] += 1
        return []
    text = (item.text or "").strip()
    if not text:
        skipped["text_not_kept"] += 1
        return []
    if len(text) > limits.TOPIC_EXAMPLE_MAX:
        skipped["text_longer_than_an_example"] += 1
        return []
    return [Proposal(Kind.ADD_TOPIC_EXAMPLE, topic, text)]


def apply_change(policy: Policy, kind: str, target: str, value: str) -> Policy:
    """``policy`` with one suggestion applied; :class:`ConflictError` when it no longer fits
    (the word was removed meanwhile, the topic is gone or full, the example or exception is
    there already)."""
    data = policy.to_dict()
    if kind == Kind.REMOVE_WORD:
        words = list((data.get("word_filters") or {}).get("words") or [])
        if value not in words:
            raise ConflictError(f"the DRAFT's word list no longer holds {value!r}")
        words.remove(value)
        data["word_filters"]["words"] = words
    elif kind == Kind.ADD_TOPIC_EXAMPLE:
        _append_to_topic(data, target, "examples", "example", value, limits.TOPIC_EXAMPLES_MAX)
    elif kind == Kind.ADD_TOPIC_EXCEPTION:
        _append_to_topic(data, target, "exceptions", "exception", value, limits.TOPIC_EXCEPTIONS_MAX)
    else:
        raise ConflictError(f"unknown suggestion kind {kind!r}")
    return parse_policy(data, origin="the DRAFT with the suggestion")


def _append_to_topic(data: dict[str, Any], target: str, key: str, noun: str, value: str, most: int) -> None:
    """Append ``value`` to the ``key`` list (examples or exceptions) of denied topic ``target``
    in a policy's dict; :class:`ConflictError` when the topic is gone, holds it already, or is full."""
    topic = next((t for t in data.get("denied_topics") or [] if t.get("name") == target), None)
    if topic is None:
        raise ConflictError(f"the DRAFT has no denied topic {target!r} any more")
    items = list(topic.get(key) or [])
    if value in items:
        raise ConflictError(f"topic {target!r} already has this {noun}")
    if len(items) >= most:
        raise ConflictError(
            f"topic {target!r} already has {len(items)} {key}, the most a topic may have; "
            "remove one from the DRAFT first"
        )
    topic[key] = [*items, value]


class Suggester:
    """Turns overturns into suggestions and carries out an admin's decision on them."""

    def __init__(
        self, reviews: ReviewStore, suggestions: SuggestionStore, guardrails: GuardrailStore
    ) -> None:
        self.reviews = reviews
        self.suggestions = suggestions
        self.guardrails = guardrails

    def generate(self) -> SuggestCount:
        """Offer a suggestion for every overturned item's proposals (re-running adds only what is new)."""
        count = SuggestCount()
        drafts: dict[str, Policy | None] = {}
        for item in self.reviews.resolved_items():
            if item.outcome != Outcome.OVERTURNED.value:
                continue
            if item.guardrail_id is None:
                count.skipped["no_guardrail"] += 1
                continue
            if item.guardrail_id not in drafts:
                try:
                    drafts[item.guardrail_id] = parse_policy(self.guardrails.get(item.guardrail_id).policy)
                except NotFoundError:
                    drafts[item.guardrail_id] = None
            policy = drafts[item.guardrail_id]
            if policy is None:
                count.skipped["guardrail_deleted"] += 1
                continue
            for proposal in proposals(item, policy, count.skipped):
                offered = self.suggestions.offer(
                    guardrail_id=item.guardrail_id,
                    kind=proposal.kind.value,
                    target=proposal.target,
                    value=proposal.value,
                    item_id=item.id,
                )
                count.offered += int(offered)
        return count

    def accept(self, suggestion_id: str, actor: str) -> tuple[SuggestionRecord, GuardrailInfo]:
        """Edit the guardrail's DRAFT as the suggestion says; exactly one of concurrent admins does it.

        The suggestion is marked accepted first (atomically), then the DRAFT is changed; if the
        change cannot be made it goes back to pending and the error says why.
        """
        suggestion = self.suggestions.get(suggestion_id)
        if suggestion.state != "pending":
            raise ConflictError(f"suggestion {suggestion_id!r} is already {suggestion.state}")
        if suggestion.value is None:
            raise ConflictError(f"suggestion {suggestion_id!r} lost its value (past retention); reject it")
        policy = parse_policy(self.guardrails.get(suggestion.guardrail_id).policy)
        changed = apply_change(policy, suggestion.kind, suggestion.target, suggestion.value)
        self.suggestions.decide(suggestion_id, state="accepted", actor=actor)
        try:
            info = self.guardrails.update(suggestion.guardrail_id, policy=changed)
        except Exception:
            self.suggestions.reopen(suggestion_id)
            raise
        self.suggestions.set_revision(suggestion_id, info.draft_revision)
        return self.suggestions.get(suggestion_id), info

    def reject(self, suggestion_id: str, actor: str) -> SuggestionRecord:
        """Decline the suggestion; the policy is untouched."""
        return self.suggestions.decide(suggestion_id, state="rejected", actor=actor)
