"""Learned content filters and prompt-attack detection, from one small trained model.

One model serves every category (HATE, INSULTS, SEXUAL, VIOLENCE, MISCONDUCT, SELF_HARM,
CHILD_SAFETY and PROMPT_ATTACK): a single batched pass over a text's windows gives all eight
calibrated scores, which is what keeps the learned filters inside the hot path's budget.
The detector reports one finding per configured category with its continuous score — low
ones too — and the guard decides with the policy's strength what the score means (see
:func:`steward.assessment.meets_strength`).

Beyond the text as written, the model also reads what obfuscation hides, and a category's
score is the highest over these views:

* the de-obfuscated reading from :mod:`steward.text.normalize` (leetspeak, look-alike
  letters, zero-width characters, spaced-out letters), when it differs from the plain one;
* base64 segments, decoded, when they decode to readable text — a cheap and common way to
  smuggle an instruction past a filter.

Text the caller marks ``untrusted`` (documents, web pages, tool output) is read as
third-party content: the model was trained to look for instructions aimed at the assistant
inside such content (indirect prompt injection), marked by a reserved token.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from steward.assessment import Finding, PolicyKind
from steward.detectors.base import DetectionRequest, Detector
from steward.models.classifier import DEFAULT_MODEL, TextClassifier, TextScores
from steward.policy.schema import LEARNED_LANGUAGES, Policy, Strength
from steward.rules import rule_key
from steward.text.normalize import NormalizedText, normalize

__all__ = ["ContentDetector"]

_SECTION = "content_filters"
#: A run of base64 long enough to hide a sentence (16 characters decode to 12 bytes).
_BASE64 = re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{16,}={0,2}(?![A-Za-z0-9+/=])")
#: Most base64 segments worth decoding are short; a huge blob is an attachment, not a prompt.
_BASE64_MAX_CHARS = 8000
_BASE64_MAX_SEGMENTS = 8


@dataclass(frozen=True, slots=True)
class _View:
    """One reading of the text to score, and how its offsets map back to the original."""

    text: str
    kind: str
    #: For a decoded segment: its span in the original text (the whole view maps there).
    segment: tuple[int, int] | None = None
    #: For the de-obfuscated reading: the map from its offsets back to the original.
    normalized: NormalizedText | None = None


def _decoded_base64(text: str) -> list[_View]:
    """Base64 segments of ``text`` that decode to mostly printable UTF-8 text."""
    views: list[_View] = []
    for m in _BASE64.finditer(text):
        raw = m.group(0)
        if len(raw) > _BASE64_MAX_CHARS or len(views) >= _BASE64_MAX_SEGMENTS:
            continue
        try:
            decoded = base64.b64decode(raw + "=" * (-len(raw) % 4), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            continue
        printable = sum(ch.isprintable() or ch.isspace() for ch in decoded)
        if decoded and printable / len(decoded) >= 0.9 and any(ch.isalpha() for ch in decoded):
            views.append(_View(decoded, "base64", m.span()))
    return views


def _mostly_latin(text: str) -> bool:
    """Whether look-alike folding can help: it would garble Cyrillic or Greek prose.

    Full-width and other compatibility forms of Latin letters (``ｉｇｎｏｒｅ``) count as
    Latin: folding them is exactly what lets the model read them.
    """
    letters = [ch for ch in text if ch.isalpha()]
    latin = sum(ch.isascii() or unicodedata.normalize("NFKC", ch).isascii() for ch in letters)
    return bool(letters) and latin >= 0.6 * len(letters)


def _obfuscated(folded: str, plain: str) -> bool:
    """Whether de-obfuscation changed enough words to be worth a second model pass.

    An e-mail address or a price also changes under leetspeak decoding (``bob@x.com``), so a
    long prompt with a little PII would otherwise pay for two passes; obfuscated attacks
    change many words (``h0w t0 k1ll``), so a couple of words and a tenth of them is the bar.
    """
    if folded == plain:
        return False
    words = folded.split()
    changed = len(set(words) - set(plain.split()))
    return changed >= 2 and changed >= 0.1 * len(words)


def _disguised(text: str) -> bool:
    """Whether many letters are compatibility forms of Latin ones (full-width ``ｉｇｎｏｒｅ``,
    mathematical bold ``𝐤𝐢𝐥𝐥``): the model's vocabulary has no pieces for them, so it must
    read the folded text."""
    letters = [ch for ch in text if ch.isalpha()]
    odd = sum(not ch.isascii() and unicodedata.normalize("NFKC", ch).isascii() for ch in letters)
    return odd >= 2 and odd >= 0.1 * len(letters)


class ContentDetector(Detector):
    """Scores every configured content category and PROMPT_ATTACK with the shipped model."""

    name = "content"
    policy_kind = PolicyKind.CONTENT
    #: Learned and the most expensive: runs after every deterministic detector.
    cost = 50
    languages = LEARNED_LANGUAGES["content_filters"]

    def __init__(self, categories: Sequence[str], *, model: str = DEFAULT_MODEL) -> None:
        self._categories = tuple(dict.fromkeys(categories))
        self._rules = {c: rule_key(_SECTION, c) for c in self._categories}
        self._model_name = model

    @classmethod
    def from_policy(cls, policy: Policy) -> ContentDetector | None:
        used = [
            cf.category.value
            for cf in policy.content_filters
            if (cf.input_enabled and cf.input_strength is not Strength.NONE)
            or (cf.output_enabled and cf.output_strength is not Strength.NONE)
        ]
        return cls(used) if used else None

    def rules(self) -> frozenset[str]:
        return frozenset(self._rules.values())

    def _model(self) -> TextClassifier:
        return TextClassifier.load(self._model_name)

    def _wanted(self, request: DetectionRequest) -> list[str]:
        if not request.rules:
            return list(self._categories)
        return [c for c in self._categories if self._rules[c] in request.rules]

    @staticmethod
    def _views(text: str) -> list[_View]:
        views = [_View(text, "text")]
        if _mostly_latin(text):
            folded = normalize(text)
            plain = normalize(text, leet=False, confusables=False).text
            if _obfuscated(folded.text, plain) or _disguised(text):
                views.append(_View(folded.text, "normalized", normalized=folded))
        views.extend(_decoded_base64(text))
        return views

    def detect(self, text: str, request: DetectionRequest) -> list[Finding]:
        return self.detect_batch([text], request)[0]

    def detect_batch(self, texts: Sequence[str], request: DetectionRequest) -> list[list[Finding]]:
        wanted = self._wanted(request)
        if not wanted or not texts:
            return [[] for _ in texts]
        model = self._model()
        wanted = [c for c in wanted if c in model.labels]
        views = [self._views(t) for t in texts]
        flat = [v.text for vs in views for v in vs]
        scores = iter(model.score(flat, untrusted=request.untrusted, shared=request.encodings))
        out: list[list[Finding]] = []
        for text, text_views in zip(texts, views, strict=True):
            scored = [(v, next(scores)) for v in text_views]
            out.append([self._finding(text, cat, scored, model, request) for cat in wanted])
        return out

    def _finding(
        self,
        text: str,
        category: str,
        scored: list[tuple[_View, TextScores]],
        model: TextClassifier,
        request: DetectionRequest,
    ) -> Finding:
        view, result = max(scored, key=lambda vs: vs[1].labels[category].score)
        best = result.labels[category]
        if view.segment is not None:
            start, end = view.segment
        elif view.normalized is not None and best.end > best.start:
            start, end = view.normalized.span(best.start, min(best.end, len(view.text)))
        else:
            start, end = best.start, best.end
        return Finding(
            policy=PolicyKind.CONTENT,
            type=category,
            detector=self.name,
            start=start,
            end=end,
            match=text[start:end],
            score=best.score,
            rule=self._rules[category],
            details={
                "model": model.name,
                "window": [start, end],
                "windows": result.windows,
                "view": view.kind,
                "untrusted": request.untrusted,
            },
        )
