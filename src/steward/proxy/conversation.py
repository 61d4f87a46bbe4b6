"""Guarding the messages of a chat request before anything goes upstream.

Checked: every ``user`` message (the whole history, since the client resends it and each
turn is forwarded again) and every ``tool``/``function`` result, the latter marked
*untrusted* so prompt-attack detection looks for indirect injection in it. Not checked:
``system``/``developer`` messages (the deployer's own instructions) and ``assistant``
messages (the model's earlier answers, already guarded on their way out). Non-text parts
(images, audio, files) are forwarded unchecked: no detector reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from steward.anonymize import PseudonymVault
from steward.assessment import Assessment, Source
from steward.guard import Guard
from steward.proxy.request import ChatRequest, MessageText

__all__ = ["CHECKED_ROLES", "InputDecision", "check_messages"]

#: Roles whose text the input guard checks.
CHECKED_ROLES = frozenset({"user", "tool", "function"})
_UNTRUSTED_ROLES = frozenset({"tool", "function"})


@dataclass(slots=True)
class InputDecision:
    """The input guard's verdict on a whole request."""

    #: ``(text, assessment)`` for each text checked, in order, up to the first block.
    checked: list[tuple[MessageText, Assessment]] = field(default_factory=list)
    #: The first assessment that blocked, if any (then nothing goes upstream).
    blocked: Assessment | None = None
    #: Masked text to forward, by ``(message index, part index)``.
    replacements: dict[tuple[int, int | None], str] = field(default_factory=dict)

    @property
    def intervened(self) -> list[Assessment]:
        """The assessments that masked or blocked something."""
        return [a for _, a in self.checked if a.intervened]

    def to_audit(self) -> list[tuple[MessageText, Assessment]]:
        """What goes to the audit trail: every text the guard masked or blocked, and the last one checked.

        The last checked text is the new turn (or the one that blocked). Unchanged earlier
        turns are not recorded again, so a long history does not add one record per message
        on every turn; an intervention is recorded each time it happens.
        """
        picked = [(item, a) for item, a in self.checked[:-1] if a.intervened]
        if self.checked:
            picked.append(self.checked[-1])
        return picked


def check_messages(
    guard: Guard, request: ChatRequest, *, vault: PseudonymVault | None = None
) -> InputDecision:
    """Apply ``guard`` (source input) to every checked text of ``request``; stop at the first block."""
    decision = InputDecision()
    for item in request.texts:
        if item.role not in CHECKED_ROLES or not item.text:
            continue
        assessment = guard.apply(
            item.text, Source.INPUT, untrusted=item.role in _UNTRUSTED_ROLES, vault=vault
        )
        decision.checked.append((item, assessment))
        if assessment.blocked:
            decision.blocked = assessment
            return decision
        if assessment.intervened and assessment.output_text is not None:
            decision.replacements[(item.message, item.part)] = assessment.output_text
    return decision


def last_user_text(request: ChatRequest) -> str | None:
    """The text of the last user message (the question an answer should be relevant to)."""
    users = [t for t in request.texts if t.role == "user"]
    if not users:
        return None
    last = users[-1].message
    return "\n".join(t.text for t in users if t.message == last)
