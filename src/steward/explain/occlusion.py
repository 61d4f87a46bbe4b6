"""Which words made a learned detector score a text high: attribution by occlusion.

The decision trace already says which rule fired and how sure it was; for the learned
content filters and denied topics it cannot say *why* the model scored the text so. Occlusion
answers that without opening the model: blank a window of words, score the text again with
the same detector, and the drop in the finding's score is what that window contributed. A
word's attribution is the mean drop over the windows that cover it; positive = the word
raised the score.

Windows, not single words, because a model reads phrases ("kill the process" vs "kill him"):
masking one word of a two-word threat may leave the other carrying it. Blanking keeps the
text's length (the window becomes spaces), so every offset still indexes the text the user
sent, and the detector reads exactly what the guard gave it (other languages blanked).

Cost: one detector pass per window (about 25 ms each for a paragraph on 2 cores); a long
text gets wider strides so the number of passes stays under :data:`MAX_VARIANTS`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from steward.assessment import Assessment, Finding, PolicyKind, Source
from steward.detectors.base import DetectionRequest, Detector
from steward.detectors.language import TextLanguages
from steward.guard import Guard
from steward.rules import rule_settings

__all__ = ["MAX_VARIANTS", "FindingExplanation", "WordAttribution", "explain_assessment"]

#: Masked copies scored per detector at most; more words than this widen the stride.
MAX_VARIANTS = 150
#: Kinds of finding occlusion explains: learned scores that rise with the evidence.
EXPLAINABLE = frozenset({PolicyKind.CONTENT, PolicyKind.TOPIC})
_WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")


@dataclass(frozen=True, slots=True)
class WordAttribution:
    """How much one word raised a finding's score (the mean drop when it is masked)."""

    word: str
    start: int
    end: int
    attribution: float

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "word": self.word,
            "start": self.start,
            "end": self.end,
            "attribution": round(self.attribution, 4),
        }


@dataclass(frozen=True, slots=True)
class FindingExplanation:
    """The word attributions of one finding."""

    type: str
    rule: str
    detector: str
    #: The finding's score on the text as the detector reads it (the baseline of every drop).
    score: float
    window: int
    stride: int
    words: tuple[WordAttribution, ...]
    #: The words that raised the score most, highest first (positive attributions only).
    top: tuple[WordAttribution, ...]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "type": self.type,
            "rule": self.rule,
            "detector": self.detector,
            "score": round(self.score, 4),
            "window": self.window,
            "stride": self.stride,
            "top": [w.to_dict() for w in self.top],
            "words": [w.to_dict() for w in self.words],
        }


def _windows(n_words: int, window: int) -> tuple[int, int, list[tuple[int, int]]]:
    """Word-index windows ``[i, j)`` covering every word, at most :data:`MAX_VARIANTS` of them."""
    if n_words <= window:
        return n_words, 1, [(0, n_words)]
    stride = max(1, math.ceil((n_words - window + 1) / MAX_VARIANTS))
    width = max(window, stride)
    starts = list(range(0, n_words - width + 1, stride))
    if starts[-1] + width < n_words:
        starts.append(n_words - width)
    return width, stride, [(i, i + width) for i in starts]


def _score(findings: Sequence[Finding], rule: str) -> float:
    return max((f.score for f in findings if f.rule == rule), default=0.0)


def _explain_detector(
    detector: Detector,
    readable: str,
    findings: Sequence[Finding],
    request: DetectionRequest,
    *,
    window: int,
    top_k: int,
) -> list[FindingExplanation]:
    words = [(m.group(0), m.start(), m.end()) for m in _WORD.finditer(readable)]
    if not words:
        return []
    width, stride, spans = _windows(len(words), window)
    variants = [readable]
    for i, j in spans:
        start, end = words[i][1], words[j - 1][2]
        variants.append(readable[:start] + " " * (end - start) + readable[end:])
    # One text per call, as the guard scores it: the int8 model quantizes activations per
    # batch, so a text scored beside others can score differently (0.547 alone, 0.451 in a
    # batch of three, measured on a prompt attack) and the drops would measure the batch.
    scored = [detector.detect(variant, request) for variant in variants]
    out: list[FindingExplanation] = []
    for finding in findings:
        base = _score(scored[0], finding.rule)
        drops = [base - _score(found, finding.rule) for found in scored[1:]]
        totals = [0.0] * len(words)
        counts = [0] * len(words)
        for (i, j), drop in zip(spans, drops, strict=True):
            for k in range(i, j):
                totals[k] += drop
                counts[k] += 1
        attributed = tuple(
            WordAttribution(word, start, end, totals[k] / counts[k] if counts[k] else 0.0)
            for k, (word, start, end) in enumerate(words)
        )
        ranked = sorted((w for w in attributed if w.attribution > 0), key=lambda w: (-w.attribution, w.start))
        out.append(
            FindingExplanation(
                type=finding.type,
                rule=finding.rule,
                detector=detector.name,
                score=base,
                window=width,
                stride=stride,
                words=attributed,
                top=tuple(ranked[:top_k]),
            )
        )
    return out


def explain_assessment(
    guard: Guard,
    text: str,
    assessment: Assessment,
    *,
    untrusted: bool = False,
    window: int = 2,
    top_k: int = 5,
) -> list[FindingExplanation]:
    """Word attributions for every finding of a learned detector (content filters, denied
    topics) in ``assessment``, which ``guard`` made for ``text``."""
    if window < 1:
        raise ValueError("window must be at least 1 word")
    source = Source.parse(assessment.source)
    settings = rule_settings(guard.policy, source)
    wanted = [f for f in assessment.findings if f.policy in EXPLAINABLE]
    languages = TextLanguages(text)
    out: list[FindingExplanation] = []
    for detector in guard.detectors:
        mine = [f for f in wanted if f.detector == detector.name and f.rule in detector.rules()]
        if not mine:
            continue
        readable = text if detector.languages is None else languages.readable(detector.languages)
        rules = {f.rule: settings[f.rule] for f in mine if f.rule in settings}
        request = DetectionRequest(source=source, untrusted=untrusted, rules=rules)
        out.extend(_explain_detector(detector, readable, mine, request, window=window, top_k=top_k))
    return out
