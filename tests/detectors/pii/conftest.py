"""Helpers for the PII recognizer tests: run the detector for one entity type and list what it found."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from steward.assessment import Source
from steward.detectors.base import DetectionRequest
from steward.detectors.pii import PiiDetector
from steward.policy.schema import PiiType

Found = list[tuple[str, int, int]]


def _find(entity: PiiType, text: str) -> Found:
    detector = PiiDetector([entity])
    findings = detector.detect(text, DetectionRequest(source=Source.INPUT))
    assert all(text[f.start : f.end] == f.match for f in findings)
    return [(f.match, f.start, f.end) for f in findings if f.type == entity.value]


@pytest.fixture
def find() -> Callable[[PiiType, str], Found]:
    """``find(entity, text)`` → ``[(match, start, end), ...]`` for that entity alone."""
    return _find


def spans_of(text: str, *values: str) -> Found:
    """The expected ``(value, start, end)`` of each value's first occurrence in ``text``."""
    out = []
    for value in values:
        start = text.index(value)
        out.append((value, start, start + len(value)))
    return out
