"""Denied topics: subjects a policy describes in plain words, found by meaning, not keywords.

A policy gives each topic a definition and up to five example prompts; the user trains
nothing. When the detector is built (:meth:`TopicDetector.from_policy`) it embeds every
definition and example once with the shipped sentence embedder. For each text it embeds
every sentence (see :mod:`steward.models.sentences`) and, when the text has several short
sentences, the whole text too, so a topic spread over two sentences is still seen. Each
piece gets three similarities per topic: the best cosine to any example, the cosine to the
centroid of the examples (what they have in common, which resists a text that merely
shares a name with one example) and the cosine to the definition. A logistic curve, fitted once by ``training/calibrate_topics.py`` on a
written set of 20 topics with paraphrased on-topic prompts and near-miss negatives
(``data/topics_calibration``), turns them into a calibrated 0–1 score.

The guard acts on every topic finding, so a finding is only returned when the calibrated
score is at least :data:`FINDING_THRESHOLD` (0.5). :meth:`TopicDetector.score_topics` gives
every topic's score for callers that want to inspect or set their own threshold. Findings
point at the piece of text that matched and carry the similarity and the nearest example.

The embedder is English-trained: topics written in English match English text; other
languages are reported by the language-coverage check rather than silently passed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from steward.assessment import Finding, PolicyKind
from steward.detectors.base import DetectionRequest, Detector
from steward.errors import DetectorUnavailableError
from steward.policy.schema import DeniedTopic, Policy
from steward.rules import rule_key

__all__ = ["CALIBRATION_PATH", "FINDING_THRESHOLD", "TopicCalibration", "TopicDetector", "TopicScore"]

#: Where ``training/calibrate_topics.py`` writes the fitted curve.
CALIBRATION_PATH = Path(__file__).resolve().parents[1] / "models" / "artifacts" / "topics-calibration.json"
#: Calibrated score from which a topic counts as present (and the guard acts on it).
FINDING_THRESHOLD = 0.5
#: Texts with at most this many sentences, and this short, are also embedded whole.
_WHOLE_TEXT_MAX_SENTENCES = 6
_WHOLE_TEXT_MAX_CHARS = 600


@dataclass(frozen=True, slots=True)
class TopicCalibration:
    """A logistic curve over three cosines: best example, examples' centroid, definition."""

    example_weight: float
    centroid_weight: float
    definition_weight: float
    bias: float

    def score(self, example: float, centroid: float, definition: float) -> float:
        """The calibrated probability that a piece of text is on the topic."""
        z = (
            self.example_weight * example
            + self.centroid_weight * centroid
            + self.definition_weight * definition
            + self.bias
        )
        return 1.0 / (1.0 + math.exp(-z))

    def scores(
        self,
        example: npt.NDArray[np.float32],
        centroid: npt.NDArray[np.float32],
        definition: npt.NDArray[np.float32],
    ) -> npt.NDArray[np.float64]:
        """:meth:`score` for arrays of similarities."""
        z = (
            self.example_weight * example.astype(np.float64)
            + self.centroid_weight * centroid.astype(np.float64)
            + self.definition_weight * definition.astype(np.float64)
            + self.bias
        )
        out: npt.NDArray[np.float64] = 1.0 / (1.0 + np.exp(-z))
        return out

    @classmethod
    def load(cls, path: Path = CALIBRATION_PATH) -> TopicCalibration:
        """Read the curve written by ``training/calibrate_topics.py``."""
        try:
            data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                float(data["example_weight"]),
                float(data["centroid_weight"]),
                float(data["definition_weight"]),
                float(data["bias"]),
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise DetectorUnavailableError(f"unusable topic calibration {path}: {exc}") from exc


@lru_cache(maxsize=1)
def _default_calibration() -> TopicCalibration:
    return TopicCalibration.load()


@dataclass(frozen=True, slots=True)
class TopicScore:
    """One topic's best match in a text."""

    topic: str
    score: float
    start: int
    end: int
    example_similarity: float
    centroid_similarity: float
    definition_similarity: float
    nearest_example: str


@dataclass(frozen=True, slots=True)
class _Topic:
    name: str
    rule: str
    examples: tuple[str, ...]
    example_vectors: npt.NDArray[np.float32]
    centroid_vector: npt.NDArray[np.float32]
    definition_vector: npt.NDArray[np.float32]


class TopicDetector(Detector):
    """Finds the policy's denied topics by semantic similarity to their definitions and examples."""

    name = "topics"
    policy_kind = PolicyKind.TOPIC
    cost = 50

    def __init__(
        self,
        topics: Sequence[DeniedTopic],
        *,
        embedder: Any = None,
        calibration: TopicCalibration | None = None,
    ) -> None:
        if embedder is None:
            from steward.models.embedder import default_embedder

            embedder = default_embedder()
        self._embedder = embedder
        self._calibration = calibration if calibration is not None else _default_calibration()
        self._topics: list[_Topic] = []
        for topic in topics:
            # A topic without examples is matched on its definition alone.
            examples = tuple(topic.examples) or (topic.definition,)
            vectors = embedder.embed([*examples, topic.definition])
            centroid = vectors[:-1].mean(axis=0)
            centroid /= max(float(np.linalg.norm(centroid)), 1e-12)
            rule = rule_key("denied_topics", topic.name)
            self._topics.append(_Topic(topic.name, rule, examples, vectors[:-1], centroid, vectors[-1]))

    @classmethod
    def from_policy(cls, policy: Policy) -> TopicDetector | None:
        """The detector for ``policy``'s denied topics, or ``None`` if it has none."""
        if not policy.denied_topics:
            return None
        return cls(policy.denied_topics)

    def rules(self) -> frozenset[str]:
        """One rule per denied topic."""
        return frozenset(t.rule for t in self._topics)

    def score_topics(self, text: str, *, rules: frozenset[str] | None = None) -> list[TopicScore]:
        """Every topic's best calibrated score over the pieces of ``text`` (highest first)."""
        from steward.models.sentences import sentence_spans

        topics = [t for t in self._topics if rules is None or t.rule in rules]
        spans = sentence_spans(text)
        if not topics or not spans:
            return []
        if (
            1 < len(spans) <= _WHOLE_TEXT_MAX_SENTENCES
            and spans[-1][1] - spans[0][0] <= _WHOLE_TEXT_MAX_CHARS
        ):
            spans.append((spans[0][0], spans[-1][1]))
        vectors = self._embedder.embed([text[s:e] for s, e in spans])
        results: list[TopicScore] = []
        for topic in topics:
            example_sims = vectors @ topic.example_vectors.T  # (pieces, examples)
            best_example = example_sims.max(axis=1)
            centroid_sims = vectors @ topic.centroid_vector
            definition_sims = vectors @ topic.definition_vector
            scores = self._calibration.scores(best_example, centroid_sims, definition_sims)
            piece = int(np.argmax(scores))
            start, end = spans[piece]
            results.append(
                TopicScore(
                    topic=topic.name,
                    score=float(scores[piece]),
                    start=start,
                    end=end,
                    example_similarity=float(best_example[piece]),
                    centroid_similarity=float(centroid_sims[piece]),
                    definition_similarity=float(definition_sims[piece]),
                    nearest_example=topic.examples[int(np.argmax(example_sims[piece]))],
                )
            )
        results.sort(key=lambda r: r.score, reverse=True)
        return results

    def detect(self, text: str, request: DetectionRequest) -> list[Finding]:
        """A finding for each topic whose calibrated score reaches :data:`FINDING_THRESHOLD`."""
        enabled = frozenset(request.rules) if request.rules else None
        by_name = {t.name: t for t in self._topics}
        findings: list[Finding] = []
        for result in self.score_topics(text, rules=enabled):
            if result.score < FINDING_THRESHOLD:
                continue
            findings.append(
                Finding(
                    policy=PolicyKind.TOPIC,
                    type=result.topic,
                    detector=self.name,
                    start=result.start,
                    end=result.end,
                    match=text[result.start : result.end],
                    score=result.score,
                    rule=by_name[result.topic].rule,
                    details={
                        "similarity": round(result.example_similarity, 4),
                        "centroid_similarity": round(result.centroid_similarity, 4),
                        "definition_similarity": round(result.definition_similarity, 4),
                        "nearest_example": result.nearest_example,
                    },
                )
            )
        return findings
