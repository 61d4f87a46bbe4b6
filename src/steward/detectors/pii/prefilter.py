"""A few passes over the text that say which recognizers could possibly match.

Running thirty Python regexes over every prompt costs milliseconds; most prompts hold no
PII at all. Every recognizer's ``trigger`` goes into an RE2 set, which scans the text once
in linear time and returns the triggers that matched; only those recognizers run.

The triggers go into a few sets rather than one. An RE2 set runs one lazily built DFA whose
states are combinations of every pattern's progress, so a trigger that is half-way matched
at most places of ordinary text (an address's words after a number, a 17-character run, a
window after a context word) multiplies the states of all the others: measured on 4 MB of
chat transcripts and PII sentences, the one set of 30 triggers read 6–8 MB per CPU-second
while its DFA was being built (and never finished building within 64 MiB), and four sets
(address, VIN, context-gated, the rest) read 25–30, with the text encoded once for all.

A set may have a gate: a set of patterns, one per trigger, each matching wherever its trigger
does (the context words of a context-gated trigger). Where no gate occurs, no trigger of the
set can, and the set is not run. The context-gated set's DFA, built anew by every process as
it meets new text, cost about 0.06 CPU-s of a 4 MB scan's first pass; its words occur in
about one text in eighty, and a set of the words alone is cheap to build.
"""

from __future__ import annotations

from collections.abc import Sequence

import re2

from steward.policy.regex_safety import re2_options

__all__ = ["TriggerSet"]

#: Memory each set's DFA may use (RE2 rebuilds a DFA that outgrows it, which is slow).
SET_MAX_MEMORY = 64 << 20


class TriggerSet:
    """Which of many RE2 patterns occur in a text; ``None`` patterns always count.

    ``groups`` (one per pattern; all in one set when left out) says which patterns share a set.
    ``gates`` (one per pattern, ``None`` for none) are patterns that match wherever theirs do;
    a group whose every pattern has a gate is run only where one of its gates matches.
    """

    def __init__(
        self,
        patterns: Sequence[str | None],
        groups: Sequence[str] | None = None,
        gates: Sequence[str | None] | None = None,
    ) -> None:
        if groups is not None and len(groups) != len(patterns):
            raise ValueError("one group per pattern")
        if gates is not None and len(gates) != len(patterns):
            raise ValueError("one gate (or None) per pattern")
        self._always = frozenset(i for i, p in enumerate(patterns) if p is None)
        members: dict[str, list[int]] = {}
        for i, pattern in enumerate(patterns):
            if pattern is not None:
                members.setdefault(groups[i] if groups is not None else "", []).append(i)
        #: ``(its gate set or None, the set, pattern index of each of its entries)``, one per group.
        self._sets: list[tuple[re2.Set | None, re2.Set, list[int]]] = []
        for indices in members.values():
            own = [p for p in (patterns[i] for i in indices) if p is not None]
            own_gates = [g for g in (gates[i] for i in indices) if g is not None] if gates is not None else []
            gate = _compiled(own_gates) if len(own_gates) == len(indices) else None
            self._sets.append((gate, _compiled(own), indices))

    def matching(self, text: str, encoded: bytes | None = None) -> frozenset[int]:
        """Indices of the patterns that match somewhere in ``text``; ``encoded`` is its UTF-8
        when the caller has it already (then it is not encoded again)."""
        if not self._sets or not text:
            return self._always
        if encoded is None:
            encoded = text.encode("utf-8")
        found: list[int] = []
        for gate, built, indices in self._sets:
            if gate is not None and not gate.Match(encoded):
                continue  # no pattern of the set can match where none of its gates does
            for h in built.Match(encoded) or ():
                found.append(indices[h])
        return self._always.union(found) if found else self._always


def _compiled(patterns: Sequence[str]) -> re2.Set:
    """One RE2 search set of ``patterns``, entry ``i`` being ``patterns[i]``."""
    options = re2_options()
    options.max_mem = SET_MAX_MEMORY
    built = re2.Set.SearchSet(options)
    for pattern in patterns:
        built.Add(pattern)
    built.Compile()
    return built
