"""Findings laid over the text they were found in, for the playground's highlighting.

The text is cut at every finding's start and end, so overlapping findings (an email inside
a prompt attack) each keep their own span; a piece lists the numbers of the findings that
cover it, which the page shows beside the highlight (the number, not only a colour).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

__all__ = ["Piece", "Span", "pieces"]


class _Spanned(Protocol):
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Span:
    """Where a stored finding sits (review items keep findings as JSON, not as Finding objects)."""

    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Piece:
    """A run of the text and the 1-based numbers of the findings over it (empty: plain text)."""

    text: str
    findings: tuple[int, ...]


def pieces(text: str, findings: Sequence[_Spanned]) -> list[Piece]:
    """``text`` cut into pieces at finding boundaries; findings about the whole text (0-0) are not drawn."""
    spans = [
        (i + 1, max(0, f.start), min(len(text), f.end))
        for i, f in enumerate(findings)
        if f.end > f.start and f.start < len(text)
    ]
    cuts = sorted({0, len(text), *(s for _, s, _ in spans), *(e for _, _, e in spans)})
    out: list[Piece] = []
    for a, b in itertools.pairwise(cuts):
        covering = tuple(n for n, s, e in spans if s <= a and b <= e)
        out.append(Piece(text[a:b], covering))
    return out
