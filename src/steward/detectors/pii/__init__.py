"""PII detection: one recognizer per entity type, run behind one RE2 prefilter.

:class:`PiiDetector` is the detector the guard builds from ``sensitive_information.pii_entities``;
:class:`Recognizer` is the interface of one entity's recognizer; :class:`PatternRow` is a
recognizer written as data (pattern, validator, context words, scores); :class:`NameModel`
is the interface a person-name model implements.
"""

from __future__ import annotations

from steward.detectors.pii.detector import PiiDetector
from steward.detectors.pii.name_tagger import NameTagger
from steward.detectors.pii.names import NameModel, SpacyNameModel
from steward.detectors.pii.pattern import PatternRow
from steward.detectors.pii.recognizer import Recognizer, Span
from steward.detectors.pii.registry import recognizer_classes

__all__ = [
    "NameModel",
    "NameTagger",
    "PatternRow",
    "PiiDetector",
    "Recognizer",
    "SpacyNameModel",
    "Span",
    "recognizer_classes",
]
