"""Denied topics: subjects a policy describes in plain words, found by meaning, not keywords.

A policy gives each topic a definition and up to five example prompts; the user trains
nothing. When the detector is built (:meth:`TopicDetector.from_policy`) it embeds every
definition and example once with the sentence embedder (all-MiniLM-L6). For each text it
looks at every sentence and, when the text has several short sentences, the whole text too,
so a topic spread over two sentences is still seen
(:func:`steward.models.sentences.embedding_pieces`).

The pieces are compared in two steps, a cascade. The screen: vectors pooled from the content
model's own encoder pass and projected into the embedder's space
(:mod:`steward.models.piece_embedder`), nearly free when the content filters have read the
text. Only the pieces the screen scores at least :data:`SCREEN_THRESHOLD` — at most
:data:`MAX_CONFIRMED` per text, highest first — are embedded again by the sentence embedder,
whose scores then replace the screen's. Embedding every sentence with MiniLM-L6 cost about
15 ms per 1,000-character prompt; the screen alone is less accurate (AUROC on held-out
topics 0.87 against 0.91). ``training/calibrate_topics.py`` measures both and the cascade. Each
piece gets three similarities per topic: the best cosine to any example, the cosine to the
centroid of the examples (what they have in common, which resists a text that merely
shares a name with one example) and the cosine to the definition. A logistic curve, fitted once by ``training/calibrate_topics.py`` on a
written set of 20 topics with paraphrased on-topic prompts and near-miss negatives
(``data/topics_calibration``), turns them into a calibrated 0–1 score.

**Exceptions.** A topic may list texts that resemble it but are allowed (``exceptions``: an
overturned false positive an admin accepted, see :mod:`steward.review.suggest`). A piece whose
nearest neighbour among the topic's examples and exceptions is an exception — its best cosine
to an exception is above its best cosine to an example — does not match the topic, whatever its
calibrated score; the text's other pieces still can. Only pieces the sentence embedder
confirmed are compared (the screen's vectors are too rough to tell two close texts apart). Why
this rule: it asks only which of the admin's own texts the piece is most like, so it needs no
threshold of its own to fit (the curve stays as calibrated, and a topic without exceptions
scores exactly as before), it is local (an exception covers its neighbourhood, not the topic: "how are capital gains taxed?"
allowed next to "which stocks should I buy?" still leaves the second kind blocked), and it
grows with evidence, as examples do. A topic without examples compares against its definition.

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
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from steward.assessment import Finding, PolicyKind
from steward.detectors.base import DetectionRequest, Detector
from steward.errors import DetectorUnavailableError
from steward.policy.schema import LEARNED_LANGUAGES, DeniedTopic, Policy
from steward.rules import rule_key

if TYPE_CHECKING:
    from steward.models.classifier import SharedEncodings

__all__ = ["CALIBRATION_PATH", "FINDING_THRESHOLD", "TopicCalibration", "TopicDetector", "TopicScore"]

#: Where ``training/calibrate_topics.py`` writes the fitted curve.
CALIBRATION_PATH = Path(__file__).resolve().parents[1] / "models" / "artifacts" / "topics-calibration.json"
#: Calibrated score from which a topic counts as present (and the guard acts on it).
FINDING_THRESHOLD = 0.5
#: Screen score from which a piece is embedded again by the sentence embedder. With one
#: confirmation per text, the cascade's figures on the held-out calibration topics (AUROC
#: 0.914, recall 0.72 and false positives 0.09 at the finding threshold) stay close to
#: embedding every piece (0.912, 0.78, 0.13; the screen alone: 0.888, 0.60, 0.12), while a
#: realistic 1,000-character prompt sends 0.25 pieces to the sentence embedder on average
#: (0.2 and two confirmations: 0.922, 0.78, 0.12, but 1.7 pieces). Those figures are the
#: 3-layer model's at 0.4. 0.3 since the nineteenth session's 4-layer model: its screen scored
#: "Can you work out where the girl in this picture lives?" 0.35 for *Privacy violation* (0.67
#: once confirmed), so 0.4 hid a clear paraphrase; at 0.3 the cascade's held-out figures are
#: AUROC 0.913, recall 0.73, false positives 0.12 (``topics-calibration.json``, ``screen``), and
#: the whole default policy's cost is in ``benchmarks/learned_speed.py``'s guard row.
SCREEN_THRESHOLD = 0.3
#: Most pieces per text confirmed by the sentence embedder (2-4 ms each on 2 busy cores),
#: so a long text full of near-topic sentences costs a bounded amount.
MAX_CONFIRMED = 1


@dataclass(frozen=True, slots=True)
class TopicCalibration:
    """A logistic curve over three cosines: best example, examples' centroid, definition —
    and a correction for how many pieces the best one was chosen from.

    Why the correction: a text's topic score is its best piece's, and the best of many
    sentences of an ordinary document lies higher than the best of one, so a curve fitted
    on one-sentence prompts made long documents look on-topic far more often than short
    ones (issue 14). ``pieces_weight`` (0 or negative) times ``ln(pieces)`` undoes that
    drift; ``training/calibrate_topics.py`` measures it on ordinary documents of every length.
    """

    example_weight: float
    centroid_weight: float
    definition_weight: float
    bias: float
    pieces_weight: float = 0.0

    def score(self, example: float, centroid: float, definition: float, *, pieces: int = 1) -> float:
        """The calibrated probability that a text whose best piece has these cosines is on the topic."""
        z = (
            self.example_weight * example
            + self.centroid_weight * centroid
            + self.definition_weight * definition
            + self.bias
            + self.pieces_weight * math.log(max(pieces, 1))
        )
        return 1.0 / (1.0 + math.exp(-z))

    def scores(
        self,
        example: npt.NDArray[np.float32],
        centroid: npt.NDArray[np.float32],
        definition: npt.NDArray[np.float32],
        *,
        pieces: int = 1,
    ) -> npt.NDArray[np.float64]:
        """:meth:`score` for arrays of similarities (all pieces of one text of ``pieces`` pieces)."""
        z = (
            self.example_weight * example.astype(np.float64)
            + self.centroid_weight * centroid.astype(np.float64)
            + self.definition_weight * definition.astype(np.float64)
            + self.bias
            + self.pieces_weight * math.log(max(pieces, 1))
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
                float(data.get("pieces_weight", 0.0)),
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
    confirmed: bool = True
    #: Pieces of the text that did not count because an exception was nearer than any example.
    excepted: int = 0


@dataclass(frozen=True, slots=True)
class _Topic:
    name: str
    rule: str
    examples: tuple[str, ...]
    example_vectors: npt.NDArray[np.float32]
    centroid_vector: npt.NDArray[np.float32]
    definition_vector: npt.NDArray[np.float32]
    #: The exceptions' vectors, or ``None`` when the topic has none.
    exception_vectors: npt.NDArray[np.float32] | None = None


class TopicDetector(Detector):
    """Finds the policy's denied topics by semantic similarity to their definitions and examples."""

    name = "topics"
    policy_kind = PolicyKind.TOPIC
    cost = 50
    languages = LEARNED_LANGUAGES["denied_topics"]

    def __init__(
        self,
        topics: Sequence[DeniedTopic],
        *,
        embedder: Any = None,
        screen: Any = None,
        screened: bool = True,
        max_confirmed: int = MAX_CONFIRMED,
        calibration: TopicCalibration | None = None,
    ) -> None:
        """``embedder`` embeds topics and confirms pieces (default: the shipped MiniLM-L6);
        ``screen`` gives cheap piece vectors in the same space (default: the piece embedder);
        ``screened=False`` embeds every piece with ``embedder`` (how the curve is fitted);
        ``max_confirmed=0`` trusts the screen alone (to measure it)."""
        if embedder is None:
            from steward.models.embedder import default_embedder

            embedder = default_embedder()
        if screened and screen is None:
            from steward.models.piece_embedder import PieceEmbedder

            screen = PieceEmbedder.load()
        self._embedder = embedder
        self._screen = screen if screened else None
        self._max_confirmed = max_confirmed
        self._calibration = calibration if calibration is not None else _default_calibration()
        self._topics: list[_Topic] = []
        for topic in topics:
            # A topic without examples is matched on its definition alone.
            examples = tuple(topic.examples) or (topic.definition,)
            vectors = embedder.embed([*examples, topic.definition])
            centroid = vectors[:-1].mean(axis=0)
            centroid /= max(float(np.linalg.norm(centroid)), 1e-12)
            rule = rule_key("denied_topics", topic.name)
            # Embedded apart, only when there are any: a topic without exceptions is built as before.
            exception_vectors = embedder.embed(list(topic.exceptions)) if topic.exceptions else None
            self._topics.append(
                _Topic(topic.name, rule, examples, vectors[:-1], centroid, vectors[-1], exception_vectors)
            )

    @classmethod
    def from_policy(cls, policy: Policy) -> TopicDetector | None:
        """The detector for ``policy``'s denied topics, or ``None`` if it has none."""
        if not policy.denied_topics:
            return None
        return cls(policy.denied_topics)

    def rules(self) -> frozenset[str]:
        """One rule per denied topic."""
        return frozenset(t.rule for t in self._topics)

    def score_topics(
        self,
        text: str,
        *,
        rules: frozenset[str] | None = None,
        untrusted: bool = False,
        shared: SharedEncodings | None = None,
    ) -> list[TopicScore]:
        """Every topic's best calibrated score over the pieces of ``text`` (highest first);
        ``shared`` is the request's encodings, so the screen reuses the content filters' pass."""
        topics = [t for t in self._topics if rules is None or t.rule in rules]
        if not topics:
            return []
        if self._screen is None:
            spans, vectors = self._embedder.embed_pieces(text)
        else:
            spans, vectors = self._screen.embed_pieces(text, untrusted=untrusted, shared=shared)
        if not spans:
            return []
        confirmed = np.full(len(spans), self._screen is None)
        scored = [self._topic_scores(topic, vectors) for topic in topics]
        if self._screen is not None:
            # Chosen by the score before exceptions: whether an exception covers a piece is
            # decided on the sentence embedder's vectors, never on the screen's rougher ones (a
            # piece the screen alone scored is never excepted, so an exception lets nothing
            # through that was not confirmed).
            best = np.max([scores for scores, *_ in scored], axis=0)
            chosen = [k for k in np.argsort(-best)[: self._max_confirmed] if best[k] >= SCREEN_THRESHOLD]
            if chosen:
                # The sentence embedder's vectors replace the screen's; only then rescore.
                vectors = vectors.copy()
                vectors[chosen] = self._embedder.embed([text[spans[k][0] : spans[k][1]] for k in chosen])
                confirmed[chosen] = True
                scored = [self._topic_scores(topic, vectors) for topic in topics]
        results: list[TopicScore] = []
        for topic, (scores, example_sims, centroid_sims, definition_sims, excepted) in zip(
            topics, scored, strict=True
        ):
            best_example = example_sims.max(axis=1)
            excepted &= confirmed  # decided on the sentence embedder's vectors only
            scores = np.where(excepted, 0.0, scores)
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
                    confirmed=bool(confirmed[piece]),
                    excepted=int(excepted.sum()),
                )
            )
        results.sort(key=lambda r: r.score, reverse=True)
        return results

    def _topic_scores(
        self, topic: _Topic, vectors: npt.NDArray[np.float32]
    ) -> tuple[
        npt.NDArray[np.float64],
        npt.NDArray[np.float32],
        npt.NDArray[np.float32],
        npt.NDArray[np.float32],
        npt.NDArray[np.bool_],
    ]:
        """Calibrated score per piece, with its similarities (examples per piece, centroid,
        definition) and whether an exception covers it (it is nearer an exception than any
        example: the caller then counts it as 0)."""
        example_sims = vectors @ topic.example_vectors.T  # (pieces, examples)
        centroid_sims = vectors @ topic.centroid_vector
        definition_sims = vectors @ topic.definition_vector
        best_example = example_sims.max(axis=1)
        scores = self._calibration.scores(best_example, centroid_sims, definition_sims, pieces=len(vectors))
        if topic.exception_vectors is None:
            excepted = np.zeros(len(vectors), dtype=np.bool_)
        else:
            excepted = (vectors @ topic.exception_vectors.T).max(axis=1) > best_example
        return scores, example_sims, centroid_sims, definition_sims, excepted

    def detect(self, text: str, request: DetectionRequest) -> list[Finding]:
        """A finding for each topic whose calibrated score reaches :data:`FINDING_THRESHOLD`."""
        enabled = frozenset(request.rules) if request.rules else None
        by_name = {t.name: t for t in self._topics}
        findings: list[Finding] = []
        for result in self.score_topics(
            text, rules=enabled, untrusted=request.untrusted, shared=request.encodings
        ):
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
                        "confirmed": result.confirmed,
                    },
                )
            )
        return findings
