"""A person's age, written out in the ways people write it.

Following Bedrock, the span holds the quantity and its unit where there is one
("I am 40 years old" → ``40 years``); a bare number counts only in a phrase that makes
it an age ("age: 40", "turned 40", "at the age of 40").
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from steward.detectors.pii.recognizer import Recognizer, Span
from steward.policy.schema import PiiType

__all__ = ["AgeRecognizer"]

_NUMBER = r"(1[0-4]\d|\d{1,2})"
#: ``\b`` then :data:`_NUMBER` (group 1), spelt with its first digit ahead of the look-behind
#: (``\d(?<=\b\d)``, then ``[0-4]\d`` after a 1, else one more digit or none, in the order
#: ``1[0-4]\d|\d{1,2}`` tries them): Python's engine then skips to a digit by its first
#: character class instead of trying ``\b`` at every position (the same matches, in under
#: half the time).
_WITH_UNIT = re.compile(
    r"(?i)(\d(?<=\b\d)(?:(?<=1)[0-4]\d|\d?))"
    r"(?:\s|-)?(?:years?|yrs?|y/o|yo\b|y\.o\.)(?:(?:\s|-)?old\b|(?:\s|-)?of\s+age\b)?"
)
_AFTER_WORD = re.compile(
    r"(?i)\b(?:age[ds]?|aged|age\s+of|turn(?:ed|s|ing)?|ages)\b\s*(?:is|was|[:=])?\s*"
    + _NUMBER
    + r"\b(?![.,]\d)"
)
_AGE_UNIT_WORD = re.compile(r"(?i)(?:\s|-)?(?:years?|yrs?)\b")


class AgeRecognizer(Recognizer):
    """Ages from 0 to 149 with a unit ("34 years old", "34-year-old", "34 y/o") or after age words."""

    entity = PiiType.AGE
    name = "age"
    trigger = r"(?i)\d ?-?(?:years?|yrs?|y/o|yo\b|y\.o\.)|\b(?:age[ds]?|aged|turn(?:ed|s|ing)?)\b"

    def find(self, text: str) -> Iterator[Span]:
        seen: set[int] = set()
        for m in _WITH_UNIT.finditer(text):
            old = m.group().lower().rstrip().endswith(("old", "y/o", "yo", "y.o.", "age"))
            unit = _AGE_UNIT_WORD.match(text, m.end(1))
            end = unit.end() if unit else m.end()
            seen.add(m.start(1))
            if old:
                yield Span(m.start(1), end, 0.9)
        for m in _AFTER_WORD.finditer(text):
            if m.start(1) in seen:
                continue
            unit = _AGE_UNIT_WORD.match(text, m.end(1))
            yield Span(m.start(1), unit.end() if unit else m.end(1), 0.8)
