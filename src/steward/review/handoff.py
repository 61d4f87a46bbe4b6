"""How an end user asks for a person instead of the AI: a header, a body field, or a policy's phrase.

The three triggers lead to the same place (a ``handoff`` review item, with its own SLA, and
no model call); this module only decides *whether* and *why*, so the proxy route stays thin and
the rules can be tested without a server. Phrases are matched as whole words on the plain
normalised reading of the text (case, accents, look-alike letters and punctuation folded away),
so "Talk to a HUMAN!" matches ``talk to a human`` and "stalk to a humanoid" does not.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from steward.errors import InputError
from steward.text.normalize import normalize

__all__ = [
    "HANDOFF_FIELD",
    "HANDOFF_HEADER",
    "HandoffAsk",
    "Trigger",
    "body_asks",
    "handoff_ask",
    "header_asks",
    "matching_phrase",
    "without_handoff_field",
]

#: Request header by which an integrator passes on the user's wish for a person.
HANDOFF_HEADER = "x-steward-handoff"
#: The same wish as a field of the chat-completions body (``"steward_handoff": true``).
HANDOFF_FIELD = "steward_handoff"
_YES = frozenset({"1", "true", "yes"})
_NO = frozenset({"0", "false", "no", ""})


class Trigger(StrEnum):
    """What asked for the person (kept in the item's findings)."""

    HEADER = "header"
    BODY = "body"
    PHRASE = "phrase"


@dataclass(frozen=True, slots=True)
class HandoffAsk:
    """A request for a person: what triggered it and, for a phrase, which one."""

    trigger: Trigger
    phrase: str | None = None

    def finding(self) -> dict[str, Any]:
        """The item's one finding: why it was handed off (the policy's phrase, never user text)."""
        found: dict[str, Any] = {"type": "HANDOFF", "action": "NONE", "trigger": self.trigger.value}
        if self.phrase is not None:
            found["phrase"] = self.phrase
        return found


def header_asks(value: str | None) -> bool:
    """Whether the header asks for a person (``1``/``true``/``yes``); a bad value is an error."""
    if value is None or value.strip().lower() in _NO:
        return False
    if value.strip().lower() in _YES:
        return True
    raise InputError("must be 1/true/yes or 0/false/no", field=HANDOFF_HEADER)


def body_asks(body: Mapping[str, Any]) -> bool:
    """Whether the body's ``steward_handoff`` is true; anything but a boolean (or null) is an error."""
    value = body.get(HANDOFF_FIELD)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise InputError(f"must be true or false, not {value!r}", field=HANDOFF_FIELD)
    return value


def without_handoff_field(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` without ``steward_handoff``: the upstream model's API does not know the field."""
    if HANDOFF_FIELD not in body:
        return body
    return {k: v for k, v in body.items() if k != HANDOFF_FIELD}


def _words(text: str) -> str:
    """The plain normalised reading, padded with spaces so a match can be held to whole words."""
    return f" {normalize(text, leet=False).text} "


def matching_phrase(text: str, phrases: Iterable[str]) -> str | None:
    """The first of ``phrases`` that ``text`` contains as whole words, or None."""
    seen = _words(text)
    for phrase in phrases:
        wanted = _words(phrase)
        if wanted.strip() and wanted in seen:
            return phrase
    return None


def handoff_ask(
    *, header: str | None, body: Mapping[str, Any], last_user_text: str | None, phrases: Iterable[str]
) -> HandoffAsk | None:
    """Why this request goes to a person, or None: the header, then the body field, then a phrase
    in the user's last message. Bad header or field values are errors even when another trigger holds."""
    by_header = header_asks(header)
    by_body = body_asks(body)
    if by_header:
        return HandoffAsk(Trigger.HEADER)
    if by_body:
        return HandoffAsk(Trigger.BODY)
    if last_user_text:
        phrase = matching_phrase(last_user_text, phrases)
        if phrase is not None:
            return HandoffAsk(Trigger.PHRASE, phrase)
    return None
