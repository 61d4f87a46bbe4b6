"""Contextual grounding and relevance: is an answer backed by its source, and does it answer?

Given a model's response, the reference text it should rest on (``grounding_source``) and
the user's question (``query``), the detector returns two scores in 0–1, as Bedrock does:

* **grounding** — is every claim in the response supported by the source? Each sentence of
  the response is scored on its own from four cues: the share of its content words found
  in the source or the query (lightly stemmed), whether it states a number the source does
  not contain, how many capitalised names it adds, and its best embedding cosine to the
  source sentences that share the most words with it. A response is as grounded as its
  weakest sentence, so the score is the lowest sentence score, and the finding names that
  sentence (offsets, score, and how many numbers and names it adds) in
  ``details["least_supported"]``; :meth:`GroundingDetector.sentence_support` also returns
  the unsupported words themselves, which are kept out of findings because they come from
  the checked text. The share of content
  words absent from the source is a strong, fast baseline for hallucination; the number
  and name cues catch the commonest invented facts; the embedding lets a faithful
  paraphrase through.
* **relevance** — does the response address the query? Query-to-response cosine (whole
  response and best sentence) plus the share of the query's content words the response
  repeats.

Each score is a logistic curve fitted once by ``training/calibrate_grounding.py`` (on a set
built from TruthfulQA; measured on HaluEval-QA, a different source: see
``benchmarks/grounding_quality.py``). The guard compares each score with the policy's
threshold and acts when the score is lower, so the detector always reports both scores
when it can compute them: grounding needs a source, relevance a query.

Content-word matching is English-centred (stop words, suffix stripping); numbers and names
work in any Latin-script language, and the embedder is English-trained.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from steward.assessment import Finding, PolicyKind
from steward.detectors.base import DetectionRequest, Detector
from steward.errors import DetectorUnavailableError
from steward.models.sentences import sentence_spans
from steward.policy.schema import Policy
from steward.rules import rule_key

__all__ = [
    "CALIBRATION_PATH",
    "GROUNDING_RULE",
    "RELEVANCE_RULE",
    "GroundingCalibration",
    "GroundingDetector",
    "SentenceSupport",
]

CALIBRATION_PATH = Path(__file__).resolve().parents[1] / "models" / "artifacts" / "grounding-calibration.json"
GROUNDING_RULE = rule_key("contextual_grounding.grounding")
RELEVANCE_RULE = rule_key("contextual_grounding.relevance")
#: Source sentences compared by embedding with each response sentence: the ones sharing the
#: most content words. Bounds the cost on long sources.
_SOURCE_CANDIDATES = 6
#: Length of the shared prefix that counts two words as the same (``complet``-ed/-ion).
_PREFIX = 6

_STOP_TEXT = """a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had has
    have having he her here hers herself him himself his how i if in into is it its itself just let me
    more most my myself no nor not now of off on once only or other our ours ourselves out over own same
    she should so some such than that the their theirs them themselves then there these they this those
    through to too under until up very was we were what when where which while who whom why will with
    would you your yours yourself yourselves yes one two may might must shall us many much well get got
    like make made said say says according based however therefore thus since although though within
    without upon among per via etc answer question"""
_STOP_WORDS = frozenset(_STOP_TEXT.split())
_WORD = re.compile(r"\d[\d,.]*\d|\d|[^\W\d_](?:[^\W_]|['’][^\W\d_])*")
_NUMBER_TEXT = """zero three four five six seven eight nine ten eleven twelve twenty thirty forty fifty
    hundred thousand million billion first second third"""
_NUMBER_WORDS = frozenset(_NUMBER_TEXT.split())


def _stem(word: str) -> str:
    """A crude English suffix stripper: enough to match ``founded``/``found``, ``cities``/``city``."""
    if word.endswith(("'s", "’s")):
        word = word[:-2]
    for suffix, replacement in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", ""), ("ly", "")):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)] + replacement
    return word


def _share_supported(words: frozenset[str], supported: frozenset[str], prefixes: set[str]) -> float:
    """Share of ``words`` found in ``supported``, or sharing a long prefix with a supported word.

    The prefix match lets ``construction`` stand on ``constructed`` and ``completion`` on
    ``completed``, which suffix stripping alone misses.
    """
    if not words:
        return 1.0
    hits = sum(1 for w in words if w in supported or (len(w) >= _PREFIX and w[:_PREFIX] in prefixes))
    return hits / len(words)


def _number(token: str) -> str:
    """``2,099.00`` and ``2099`` compare equal."""
    cleaned = token.replace(",", "")
    if "." in cleaned:
        cleaned = cleaned.rstrip("0").rstrip(".")
    return cleaned


@dataclass(frozen=True, slots=True)
class _Words:
    content: frozenset[str]
    numbers: frozenset[str]
    names: frozenset[str]


def _words(text: str) -> _Words:
    content: set[str] = set()
    numbers: set[str] = set()
    names: set[str] = set()
    for i, match in enumerate(_WORD.finditer(text)):
        token = match.group()
        if token[0].isdigit():
            numbers.add(_number(token))
            continue
        lower = token.lower()
        if lower in _STOP_WORDS:
            continue
        stem = _stem(lower)
        content.add(stem)
        if lower in _NUMBER_WORDS:
            numbers.add(lower)
        # A capitalised word that does not open the text is most likely a name.
        if i > 0 and token[0].isupper():
            names.add(stem)
    return _Words(frozenset(content), frozenset(numbers), frozenset(names))


@dataclass(frozen=True, slots=True)
class _Curve:
    weights: tuple[float, ...]
    bias: float

    def __call__(self, features: Sequence[float]) -> float:
        z = sum(w * f for w, f in zip(self.weights, features, strict=True)) + self.bias
        return 1.0 / (1.0 + math.exp(-z))


@dataclass(frozen=True, slots=True)
class GroundingCalibration:
    """The two fitted curves (see :func:`grounding_features` and :func:`relevance_features`)."""

    grounding: _Curve
    relevance: _Curve

    @classmethod
    def load(cls, path: Path = CALIBRATION_PATH) -> GroundingCalibration:
        """Read the curves written by ``training/calibrate_grounding.py``."""
        try:
            data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            curves = [
                _Curve(tuple(float(w) for w in data[k]["weights"]), float(data[k]["bias"]))
                for k in ("grounding", "relevance")
            ]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise DetectorUnavailableError(f"unusable grounding calibration {path}: {exc}") from exc
        return cls(curves[0], curves[1])

    @classmethod
    def from_weights(
        cls,
        grounding: Sequence[float],
        grounding_bias: float,
        relevance: Sequence[float],
        relevance_bias: float,
    ) -> GroundingCalibration:
        """Curves from explicit weights (for fitting and tests)."""
        return cls(_Curve(tuple(grounding), grounding_bias), _Curve(tuple(relevance), relevance_bias))


@lru_cache(maxsize=1)
def _default_calibration() -> GroundingCalibration:
    return GroundingCalibration.load()


@dataclass(frozen=True, slots=True)
class SentenceSupport:
    """How well one response sentence is backed by the source."""

    start: int
    end: int
    score: float
    #: Share of the sentence's content words found in the source or the query.
    word_support: float
    #: Best cosine to a source sentence.
    similarity: float
    unsupported_numbers: tuple[str, ...]
    unsupported_names: tuple[str, ...]


def grounding_features(
    word_support: float, similarity: float, unsupported_numbers: int, unsupported_names: int
) -> tuple[float, ...]:
    """The grounding curve's inputs for one sentence.

    Similarity only ever raises support (``max`` with word support): a faithful paraphrase
    shares few words but is close in meaning, while a short, correct answer ("Delhi") is
    far in embedding space from the source sentence it comes from, and must not be
    penalised for being short.
    """
    return (max(word_support, similarity), min(unsupported_numbers, 2) / 2, min(unsupported_names, 3) / 3)


def relevance_features(whole: float, best_sentence: float, query_word_share: float) -> tuple[float, ...]:
    """The relevance curve's inputs: cosines to the whole response and to its best sentence, word share."""
    return (whole, best_sentence, query_word_share)


class GroundingDetector(Detector):
    """Scores a response's grounding in its source and its relevance to the query."""

    name = "grounding"
    policy_kind = PolicyKind.CONTEXTUAL_GROUNDING
    cost = 60

    def __init__(
        self,
        *,
        check_grounding: bool = True,
        check_relevance: bool = True,
        embedder: Any = None,
        calibration: GroundingCalibration | None = None,
    ) -> None:
        if embedder is None:
            from steward.models.embedder import default_embedder

            embedder = default_embedder()
        self._embedder = embedder
        self._calibration = calibration if calibration is not None else _default_calibration()
        self._rules = frozenset(
            rule for rule, on in ((GROUNDING_RULE, check_grounding), (RELEVANCE_RULE, check_relevance)) if on
        )

    @classmethod
    def from_policy(cls, policy: Policy) -> GroundingDetector | None:
        """The detector for ``policy``'s contextual-grounding filters, or ``None`` if it has none."""
        grounding = policy.contextual_grounding
        if grounding is None:
            return None
        check_grounding = grounding.grounding is not None and grounding.grounding.enabled
        check_relevance = grounding.relevance is not None and grounding.relevance.enabled
        if not (check_grounding or check_relevance):
            return None
        return cls(check_grounding=check_grounding, check_relevance=check_relevance)

    def rules(self) -> frozenset[str]:
        """Grounding and/or relevance, as the policy enables them."""
        return self._rules

    def detect(self, text: str, request: DetectionRequest) -> list[Finding]:
        """One finding per check that has its input (a source for grounding, a query for relevance)."""
        enabled = self._rules & request.rules.keys() if request.rules else self._rules
        findings: list[Finding] = []
        if GROUNDING_RULE in enabled and request.grounding_source is not None:
            findings.append(self._grounding_finding(text, request.grounding_source, request.query))
        if RELEVANCE_RULE in enabled and request.query is not None:
            findings.append(self._relevance_finding(text, request.query))
        return findings

    def sentence_support(self, response: str, source: str, query: str | None = None) -> list[SentenceSupport]:
        """Every response sentence with its support score, in text order."""
        spans = sentence_spans(response)
        if not spans:
            return []
        source_spans = sentence_spans(source)
        source_texts = [source[s:e] for s, e in source_spans]
        source_words = [_words(t).content for t in source_texts]
        whole_source = _words(source)
        query_words = _words(query).content if query else frozenset()
        supported = whole_source.content | query_words
        prefixes = {w[:_PREFIX] for w in supported if len(w) >= _PREFIX}
        supported_numbers = whole_source.numbers | (_words(query).numbers if query else frozenset())
        sentences = [response[s:e] for s, e in spans]
        analysed = [_words(t) for t in sentences]
        # Compare each sentence with the few source sentences that share most of its words.
        candidates: list[list[int]] = []
        for words in analysed:
            overlap = sorted(range(len(source_words)), key=lambda j: -len(words.content & source_words[j]))
            candidates.append(overlap[:_SOURCE_CANDIDATES])
        needed = sorted({j for c in candidates for j in c})
        vectors = self._embedder.embed(sentences + [source_texts[j] for j in needed])
        response_vectors, source_vectors = vectors[: len(sentences)], vectors[len(sentences) :]
        index = {j: k for k, j in enumerate(needed)}
        results: list[SentenceSupport] = []
        for (start, end), words, cands, vector in zip(
            spans, analysed, candidates, response_vectors, strict=True
        ):
            similarity = max((float(vector @ source_vectors[index[j]]) for j in cands), default=0.0)
            word_support = _share_supported(words.content, supported, prefixes)
            numbers = tuple(sorted(words.numbers - supported_numbers))
            names = tuple(sorted(words.names - supported))
            score = self._calibration.grounding(
                grounding_features(word_support, similarity, len(numbers), len(names))
            )
            results.append(SentenceSupport(start, end, score, word_support, similarity, numbers, names))
        return results

    def relevance_evidence(
        self, response: str, query: str
    ) -> tuple[tuple[float, ...], tuple[int, int]] | None:
        """The relevance curve's inputs and the span of the sentence closest to the query."""
        spans = sentence_spans(response)
        if not spans:
            return None
        vectors = self._embedder.embed([query, response, *(response[s:e] for s, e in spans)])
        sims = vectors[2:] @ vectors[0]
        best = int(np.argmax(sims))
        query_words = _words(query).content
        share = len(query_words & _words(response).content) / len(query_words) if query_words else 0.0
        return relevance_features(float(vectors[1] @ vectors[0]), float(sims[best]), share), spans[best]

    def relevance(self, response: str, query: str) -> tuple[float, tuple[int, int] | None, float]:
        """The relevance score, the span of the sentence closest to the query, and its cosine."""
        evidence = self.relevance_evidence(response, query)
        if evidence is None:
            return 0.0, None, 0.0
        features, span = evidence
        return self._calibration.relevance(features), span, features[1]

    def _grounding_finding(self, text: str, source: str, query: str | None) -> Finding:
        support = self.sentence_support(text, source, query)
        if not support:
            # Nothing checkable (empty or punctuation only): nothing unsupported either.
            return _finding("GROUNDING", GROUNDING_RULE, text, 1.0, {"sentences": 0})
        weakest = min(support, key=lambda s: s.score)
        details: dict[str, Any] = {
            "sentences": len(support),
            "least_supported": {
                "start": weakest.start,
                "end": weakest.end,
                "score": round(weakest.score, 4),
                "word_support": round(weakest.word_support, 4),
                "similarity": round(weakest.similarity, 4),
                # Counts, not the words: they come from the checked text and may be personal
                # data (a phone number is an "unsupported number"); details reach the audit trail.
                "unsupported_numbers": len(weakest.unsupported_numbers),
                "unsupported_names": len(weakest.unsupported_names),
            },
        }
        return _finding("GROUNDING", GROUNDING_RULE, text, weakest.score, details)

    def _relevance_finding(self, text: str, query: str) -> Finding:
        score, span, similarity = self.relevance(text, query)
        details: dict[str, Any] = {}
        if span is not None:
            details["most_relevant"] = {"start": span[0], "end": span[1], "similarity": round(similarity, 4)}
        return _finding("RELEVANCE", RELEVANCE_RULE, text, score, details)


def _finding(kind: str, rule: str, text: str, score: float, details: dict[str, Any]) -> Finding:
    """A whole-response finding (offsets 0, 0); the sentence it hinges on is in ``details``."""
    return Finding(
        policy=PolicyKind.CONTEXTUAL_GROUNDING,
        type=kind,
        detector=GroundingDetector.name,
        start=0,
        end=0,
        match="",
        score=min(1.0, max(0.0, score)),
        rule=rule,
        details=details,
    )
