"""Masking: operators that replace sensitive spans, and the function that applies them."""

from __future__ import annotations

from collections.abc import Iterable

from steward.anonymize.base import Operator
from steward.anonymize.pseudonym import PseudonymOperator, PseudonymVault
from steward.anonymize.tag import TagOperator
from steward.assessment import Finding

__all__ = ["Operator", "PseudonymOperator", "PseudonymVault", "TagOperator", "mask", "resolve_overlaps"]


def resolve_overlaps(findings: Iterable[Finding]) -> list[Finding]:
    """Keep one finding per overlapping group: the higher score, then the longer span.

    Two detectors often see the same characters (a URL that contains an e-mail address,
    a name inside an address); masking both would garble the text.
    """
    ranked = sorted(findings, key=lambda f: (-f.score, -(f.end - f.start), f.start))
    kept: list[Finding] = []
    for f in ranked:
        if all(f.end <= k.start or f.start >= k.end for k in kept):
            kept.append(f)
    return sorted(kept, key=lambda f: f.start)


def mask(text: str, findings: Iterable[Finding], operator: Operator) -> str:
    """``text`` with every finding's span replaced by ``operator``'s replacement."""
    pieces: list[str] = []
    pos = 0
    for f in resolve_overlaps(findings):
        pieces.append(text[pos : f.start])
        pieces.append(operator.replacement(f))
        pos = f.end
    pieces.append(text[pos:])
    return "".join(pieces)
