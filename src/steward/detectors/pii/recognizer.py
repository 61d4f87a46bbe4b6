"""The small interface every PII recognizer implements (Presidio's habit: one entity, one class).

A recognizer knows one entity type. It names a cheap RE2 ``trigger`` that must match
somewhere in the text before its :meth:`Recognizer.find` is worth running; the detector
checks every trigger of the policy in one pass over the text (an RE2 set), so a text
without digits never pays for the card, phone or identity-number recognizers.
``find`` yields :class:`Span` objects: exact character offsets, a 0–1 score and whether
a checksum or parser validated the value.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from steward.policy.schema import PiiType

__all__ = ["PY_SPACE", "Recognizer", "Span"]

#: Every character Python's ``\\s`` matches in a ``str`` pattern, as an RE2 class (RE2's ``\\s`` is
#: ASCII only): a trigger spells blanks with it wherever its recognizer takes ``\\s``, so it never
#: hides a match behind a tab or a no-break space.
PY_SPACE = r"[\t-\r\x{1c}-\x{1f}\x{85}\pZ]"


@dataclass(frozen=True, slots=True)
class Span:
    """One value a recognizer found: ``text[start:end]``, how sure it is, and whether it validated."""

    start: int
    end: int
    score: float
    validated: bool = False


class Recognizer(ABC):
    """Finds one PII entity type in text."""

    #: The entity type its spans are reported as.
    entity: ClassVar[PiiType]
    #: Short, stable name reported in ``Finding.details["recognizer"]``.
    name: ClassVar[str]
    #: An RE2 pattern that matches wherever a value might be; ``None`` means always run.
    trigger: ClassVar[str | None]
    #: Which RE2 set of the prefilter scans for the trigger (``""``: the shared one). A trigger
    #: that is half-way matched at most places of ordinary text (a word run, a window after a
    #: context word) gets a set of its own kind: in a shared set it multiplies the others' states.
    trigger_group: ClassVar[str] = ""
    #: An RE2 pattern that matches wherever ``trigger`` does, cheaper to scan for (a context-gated
    #: trigger's words alone); where the gates of every trigger of a set are absent, the
    #: prefilter skips that set. ``None``: no gate (the set always runs).
    trigger_gate: ClassVar[str | None] = None

    @abstractmethod
    def find(self, text: str) -> Iterator[Span]:
        """Every value of this entity in ``text``, with offsets into ``text``."""
