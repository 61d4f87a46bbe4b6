"""Detectors: one module per kind, all behind :class:`steward.detectors.base.Detector`.

:func:`detector_classes` is the one list of kinds the guard builds from a policy; adding
a detector kind is one module, one line here and one test file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from steward.detectors.base import DetectionRequest, Detector

if TYPE_CHECKING:
    from steward.policy.schema import Policy

__all__ = ["DetectionRequest", "Detector", "detector_classes"]


def detector_classes(policy: Policy | None = None) -> list[type[Detector]]:
    """Every detector kind, imported lazily so that importing Steward stays cheap.

    With ``policy``, a kind whose section the policy leaves empty is left out, and its module
    is not imported: the content, grounding, topic and word modules cost about 0.06 CPU-s,
    paid by every process of a data-set scan whose policy uses none of them. A kind listed may
    still build nothing (its ``from_policy`` decides); one left out would build nothing.
    """
    from steward.detectors.language import LanguageDetector
    from steward.detectors.pii import PiiDetector
    from steward.detectors.regex import RegexDetector

    kinds: list[type[Detector]] = [RegexDetector, PiiDetector]
    if policy is None or policy.word_filters is not None:
        from steward.detectors.words import WordsDetector

        kinds.append(WordsDetector)
    if policy is None or policy.denied_topics:
        from steward.detectors.topics import TopicDetector

        kinds.append(TopicDetector)
    if policy is None or policy.contextual_grounding is not None:
        from steward.detectors.grounding import GroundingDetector

        kinds.append(GroundingDetector)
    kinds.append(LanguageDetector)
    if policy is None or policy.content_filters:
        from steward.detectors.content import ContentDetector

        kinds.append(ContentDetector)
    return kinds
