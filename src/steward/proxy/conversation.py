"""Guarding the messages of a chat request before anything goes upstream.

Checked (the whole guard: it may block or mask): every ``user`` message (the whole
history, since the client resends it and each turn is forwarded again) and every
``tool``/``function`` result, the latter marked *untrusted* so prompt-attack detection
looks for indirect injection in it. Masked only, by default: ``system``/``developer``
messages (the deployer's own instructions) and ``assistant`` messages (the model's earlier
answers). Their personal data is masked as the policy says, a type the policy blocks is
masked there too, and nothing in them blocks the request: content checks of the deployer's
prompt or the model's own answers are not what an upstream-privacy promise needs, and would
block every request over one line of a system prompt. ``STEWARD_PROXY_MASK_ROLES=user``
forwards those roles unmasked, as earlier versions did. Non-text parts (images, audio,
files) and the other body fields (``tools``, ``response_format``, ...) are forwarded
unchecked: no detector reads them.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

from steward.anonymize import PseudonymVault
from steward.assessment import Assessment, Source
from steward.guard import Guard
from steward.policy.schema import PiiAction, Policy
from steward.proxy.request import ChatRequest, MessageText

__all__ = ["CHECKED_ROLES", "MASKED_ROLES", "InputDecision", "check_messages", "masking_guard"]

#: Roles whose text the input guard checks.
CHECKED_ROLES = frozenset({"user", "tool", "function"})
#: Roles whose personal data is masked (never blocked) unless ``mask_all_roles`` is off.
MASKED_ROLES = frozenset({"system", "developer", "assistant"})
_UNTRUSTED_ROLES = frozenset({"tool", "function"})
#: The masking-only guard of each guard in use; an entry goes when its guard does.
_MASKING: weakref.WeakKeyDictionary[Guard, Guard | None] = weakref.WeakKeyDictionary()


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


def masking_guard(guard: Guard) -> Guard | None:
    """A guard with only ``guard``'s sensitive-information rules, every BLOCK turned into a mask.

    None when the policy masks nothing. Built once per guard (the detectors are compiled once).
    """
    if guard in _MASKING:
        return _MASKING[guard]
    sens = guard.policy.sensitive_information
    masker: Guard | None = None
    if sens is not None and (sens.pii_entities or sens.regexes):
        to_mask = {"input_action": PiiAction.ANONYMIZE}
        entities = [
            e.model_copy(update=to_mask) if e.input_action is PiiAction.BLOCK else e
            for e in sens.pii_entities
        ]
        regexes = [
            r.model_copy(update=to_mask) if r.input_action is PiiAction.BLOCK else r for r in sens.regexes
        ]
        only_pii = sens.model_copy(update={"pii_entities": entities, "regexes": regexes})
        masker = Guard(Policy(name=guard.policy.name, sensitive_information=only_pii))
    _MASKING[guard] = masker
    return masker


def check_messages(
    guard: Guard, request: ChatRequest, *, vault: PseudonymVault | None = None, mask_all_roles: bool = True
) -> InputDecision:
    """Apply ``guard`` (source input) to every checked text of ``request``; stop at the first block.

    With ``mask_all_roles`` the texts of :data:`MASKED_ROLES` have their personal data masked
    (by :func:`masking_guard`, sharing ``vault`` so pseudonyms stay consistent).
    """
    decision = InputDecision()
    masker = masking_guard(guard) if mask_all_roles else None
    for item in request.texts:
        if not item.text:
            continue
        if item.role in MASKED_ROLES:
            if masker is not None:
                masked = masker.apply(item.text, Source.INPUT, vault=vault)
                if masked.intervened and masked.output_text is not None:
                    decision.checked.append((item, masked))
                    decision.replacements[(item.message, item.part)] = masked.output_text
            continue
        if item.role not in CHECKED_ROLES:
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
