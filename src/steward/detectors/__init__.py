"""Detectors: one module per kind, all behind :class:`steward.detectors.base.Detector`.

:func:`detector_classes` is the one list of kinds the guard builds from a policy; adding
a detector kind is one module, one line here and one test file.
"""

from __future__ import annotations

from steward.detectors.base import DetectionRequest, Detector

__all__ = ["DetectionRequest", "Detector", "detector_classes"]


def detector_classes() -> list[type[Detector]]:
    """Every detector kind, imported lazily so that importing Steward stays cheap."""
    from steward.detectors.content import ContentDetector
    from steward.detectors.grounding import GroundingDetector
    from steward.detectors.language import LanguageDetector
    from steward.detectors.pii import PiiDetector
    from steward.detectors.regex import RegexDetector
    from steward.detectors.topics import TopicDetector
    from steward.detectors.words import WordsDetector

    return [
        RegexDetector,
        PiiDetector,
        WordsDetector,
        TopicDetector,
        GroundingDetector,
        LanguageDetector,
        ContentDetector,
    ]
