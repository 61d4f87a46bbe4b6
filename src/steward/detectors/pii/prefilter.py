"""One pass over the text that says which recognizers could possibly match.

Running thirty Python regexes over every prompt costs milliseconds; most prompts hold no
PII at all. Every recognizer's ``trigger`` goes into one RE2 set, which scans the text
once in linear time and returns the triggers that matched; only those recognizers run.
"""

from __future__ import annotations

from collections.abc import Sequence

import re2

from steward.detectors.regex_safety import re2_options

__all__ = ["TriggerSet"]


class TriggerSet:
    """Which of many RE2 patterns occur in a text, in one scan; ``None`` patterns always count."""

    def __init__(self, patterns: Sequence[str | None]) -> None:
        self._always = frozenset(i for i, p in enumerate(patterns) if p is None)
        self._index: list[int] = []
        self._set: re2.Set | None = None
        real = [(i, p) for i, p in enumerate(patterns) if p is not None]
        if real:
            options = re2_options()
            options.max_mem = 64 << 20
            built = re2.Set.SearchSet(options)
            for i, pattern in real:
                built.Add(pattern)
                self._index.append(i)
            built.Compile()
            self._set = built

    def matching(self, text: str) -> frozenset[int]:
        """Indices of the patterns that match somewhere in ``text``."""
        if self._set is None or not text:
            return self._always
        hits = self._set.Match(text) or ()
        return self._always.union(self._index[h] for h in hits)
