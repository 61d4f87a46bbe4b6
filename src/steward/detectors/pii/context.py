"""Context words: many identifiers are only recognisable by what is written next to them.

A nine-digit number is a routing number when the word "routing" is near, a four-digit
number is a PIN after "PIN:", and so on. These helpers look a bounded number of
characters around a span, so their cost does not grow with the text.
"""

from __future__ import annotations

import re

__all__ = ["after", "before", "near"]

#: How far back a context word may stand from the value it describes.
BEFORE_WINDOW = 64
#: How far after the value a context word may stand ("4111... is my card").
AFTER_WINDOW = 32


def before(text: str, start: int, words: re.Pattern[str], window: int = BEFORE_WINDOW) -> bool:
    """Whether ``words`` occurs in the ``window`` characters before ``start``."""
    return words.search(text, max(0, start - window), start) is not None


def after(text: str, end: int, words: re.Pattern[str], window: int = AFTER_WINDOW) -> bool:
    """Whether ``words`` occurs in the ``window`` characters after ``end``."""
    return words.search(text, end, min(len(text), end + window)) is not None


def near(
    text: str,
    start: int,
    end: int,
    words: re.Pattern[str],
    *,
    window_before: int = BEFORE_WINDOW,
    window_after: int = AFTER_WINDOW,
) -> bool:
    """Whether ``words`` occurs shortly before or after ``text[start:end]``."""
    return before(text, start, words, window_before) or after(text, end, words, window_after)


def trigger_near(words: str, value: str, *, before: int = BEFORE_WINDOW, after: int = AFTER_WINDOW) -> str:
    """An RE2 trigger for "``value`` with ``words`` up to ``before`` characters ahead or ``after`` behind".

    Context-gated recognizers use it so that a text mentioning "health" but holding no
    number of the right shape (or the reverse) never runs them. The windows are at least
    as wide as the recognizers' own, so the trigger never hides a real match.
    """
    return rf"(?is)(?:{words}).{{0,{before + 16}}}(?:{value})" + (
        rf"|(?:{value}).{{0,{after + 16}}}(?:{words})" if after else ""
    )
