"""Contextual grounding and relevance: is an answer backed by its source, and does it answer?

Given a model's response, the reference text it should rest on (``grounding_source``) and
the user's question (``query``), the detector returns two scores in 0–1, as Bedrock does:

* **grounding** — is every claim in the response supported by the source? Each sentence of
  the response is scored on its own from five cues: the share of its *new* content words
  (lightly stemmed) found in the source, whether it states a number neither the source nor
  the query contains, how many capitalised names it adds, whether it adds a negation, an "only" or a
  hedge that neither the query nor the source sentence it rests on makes, and its best
  embedding cosine to the source sentences that share the most words with it. Words that
  merely restate the query count neither way: an answer that repeats the question and adds
  one invented name is judged on that name, not carried by the repeated words (and a bare
  "Delhi" is judged on "Delhi"); nor does a reply's courtesy ("Thanks for your message!").
  Number words count as digits ("six feet" is supported by "6 foot"). A response is as grounded as its weakest sentence, so the
  score is the lowest sentence score, and the finding names that sentence (offsets, score,
  and how many numbers, names and qualifiers it adds) in ``details["least_supported"]``;
  :meth:`GroundingDetector.sentence_support` also returns the unsupported words themselves,
  which are kept out of findings because they come from the checked text. The share of
  content words absent from the source is a strong, fast baseline for hallucination; the
  number and name cues catch the commonest invented facts; the qualifier cue catches a
  claim flipped or narrowed with the source's own words ("X did not…", "only Y"); the
  embedding lets a faithful paraphrase through, and is skipped for a sentence whose new
  words are all in the source (it could only raise a support that is already complete).
* **relevance** — is the response about what the query asks about? Two curves, and the
  response is as relevant as the better of them: against the query (query-to-response
  cosine, whole response and best sentence, plus the share of the query's content words the
  response repeats) and, when a source is given, against the source (the response's cosine
  to the source sentences that share most of its words, whole and per sentence, plus the
  share of its content words found in the source). A task instruction ("Summarize the
  following article.", "Reply to the customer.") names no subject of its own: what the answer
  must be about is the source, and a summary shares few words with "summarize". So a query
  made only of task words (:data:`_TASK_WORDS`) is not compared at all; with no source either,
  nothing can make the answer off-topic and relevance is 1.0, as it is for an answer without
  a content word ("Yes.", "1957"). Relevance thus blocks only an answer that is off-topic for
  both the query and its source.

Each score is a logistic curve fitted once by ``training/calibrate_grounding.py`` (grounding
on TruthfulQA, DocNLI's MNLI and FEVER pairs and WiCE claims; relevance on TruthfulQA, and
against the source on the same pairs; measured on held-out files of those sets and on
HaluEval-QA, a source no curve saw: see ``benchmarks/grounding_quality.py``). The guard
compares each score with the policy's threshold and acts when the score is lower, so the
detector always reports both scores when it can compute them: grounding needs a source,
relevance a query (the source alone is not a question to answer).

Content-word matching and qualifiers are English-centred (stop words, suffix stripping);
numbers and names work in any Latin-script language, and the embedder is English-trained.
No cue here can see a contradiction stated entirely in the source's and the query's own
words ("A was born before B" when the source gives the dates the other way round): that
needs an entailment model.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from steward.assessment import Finding, PolicyKind
from steward.detectors.base import DetectionRequest, Detector
from steward.errors import DetectorUnavailableError
from steward.models.sentences import sentence_spans
from steward.policy.schema import LEARNED_LANGUAGES, Policy
from steward.rules import rule_key

__all__ = [
    "CALIBRATION_PATH",
    "GROUNDING_RULE",
    "RELEVANCE_RULE",
    "GroundingCalibration",
    "GroundingDetector",
    "RelevanceJudgement",
    "SentenceSupport",
    "query_names_subject",
]

CALIBRATION_PATH = Path(__file__).resolve().parents[1] / "models" / "artifacts" / "grounding-calibration.json"
GROUNDING_RULE = rule_key("contextual_grounding.grounding")
RELEVANCE_RULE = rule_key("contextual_grounding.relevance")
#: Source sentences compared by embedding with each response sentence: the ones sharing the
#: most content words. Bounds the cost on long sources.
_SOURCE_CANDIDATES = 6
#: Inputs of the grounding and relevance curves (:func:`grounding_features`, :func:`relevance_features`).
_GROUNDING_FEATURES = 4
_RELEVANCE_FEATURES = 3
_SOURCE_RELEVANCE_FEATURES = 3
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
#: Number words written as digits, so "six feet" meets "6 foot" and "eleven years" meets "11".
_UNITS = """zero - - three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen
    sixteen seventeen eighteen nineteen twenty"""
_TENS = "thirty forty fifty sixty seventy eighty ninety"
_NUMBER_VALUES = {word: str(value) for value, word in enumerate(_UNITS.split()) if word != "-"} | {
    word: str(10 * k) for k, word in enumerate(_TENS.split(), 3)
}
_NUMBER_WORDS |= frozenset(_NUMBER_VALUES)
#: Contractions that open with a stop word ("I'm", "It's", "That's"): capitalised, but not names.
_APOSTROPHE = re.compile(r"['’]")
#: Words that flip or narrow a claim, by family: a response may use one only if the query or
#: the source sentence it rests on uses the same family (any negation supports "never").
_QUALIFIERS = {
    **dict.fromkeys(
        ("not", "no", "never", "none", "nothing", "neither", "nor", "nobody", "cannot"), "negation"
    ),
    **dict.fromkeys(("only", "solely", "exclusively"), "only"),
    **dict.fromkeys(("may", "might", "maybe", "perhaps", "possibly", "probably", "likely"), "hedge"),
}


#: Words of task instructions rather than subjects: a query made only of these (and stop
#: words) asks for something to be done to a text given elsewhere ("Summarize the following
#: article.", "Reply to the customer.", "Tell me more."), so it says nothing about what the
#: answer must be about. English only, like the stop words.
_TASK_TEXT = """summarize summarise summary summarization sum gist tldr tl dr recap overview outline
    abstract synopsis digest text article passage document doc paragraph content page story email
    mail message letter post report paper essay chapter section excerpt snippet transcript note
    thread conversation chat above below following attached given provided previous earlier last
    latest write rewrite draft reply respond response explain describe tell give list condense
    shorten simplify paraphrase rephrase continue elaborate expand clarify help read review analyse
    analyze mean meaning point idea takeaway key main brief short concise quick sentence word bullet
    line customer user client please thank thanks kindly want need know see show think go bit little
    detail information info fact thing"""


#: Courtesy that makes no claim ("Thanks for your message!", "Sorry for the wait."): a reply's
#: pleasantries are neither support nor novelty, like the words that restate the query.
_COURTESY_TEXT = """thank thanks hello hi hey dear welcome glad pleasure sorry apologise apologize apology
    apologies regards sincerely cheers certainly sure course hope help helps helpful reaching
    contacting message wait waiting patience assist assistance"""


def _stem(word: str) -> str:
    """A crude English suffix stripper: enough to match ``founded``/``found``, ``cities``/``city``.

    ``-es`` goes only after a sibilant (``boxes``, ``churches``), so ``metres`` meets ``metre``
    (and ``330-metre``); a final ``s`` stays on ``-ss``/``-us``/``-is`` words (``glass``, ``famous``).
    """
    if word.endswith(("'s", "’s")):
        word = word[:-2]
    n = len(word)
    if n > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if n > 6 and word.endswith("ing"):
        return word[:-3]
    if n > 5 and word.endswith("ed"):
        return word[:-2]
    if n > 4 and word.endswith("es") and word[:-2].endswith(("s", "x", "z", "ch", "sh")):
        return word[:-2]
    if n > 4 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    if n > 5 and word.endswith("ly"):
        return word[:-2]
    return word


def _found(word: str, words: frozenset[str], prefixes: frozenset[str]) -> bool:
    """Whether ``word`` is in ``words`` or shares a long prefix with one of them.

    The prefix match lets ``construction`` stand on ``constructed`` and ``completion`` on
    ``completed``, which suffix stripping alone misses.
    """
    return word in words or (len(word) >= _PREFIX and word[:_PREFIX] in prefixes)


def _prefixes(words: frozenset[str]) -> frozenset[str]:
    return frozenset(w[:_PREFIX] for w in words if len(w) >= _PREFIX)


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
    qualifiers: frozenset[str]


def _words(text: str) -> _Words:
    content: set[str] = set()
    numbers: set[str] = set()
    names: set[str] = set()
    qualifiers: set[str] = set()
    tokens = [m.group() for m in _WORD.finditer(text)]
    for i, token in enumerate(tokens):
        if token[0].isdigit():
            numbers.add(_number(token))
            continue
        lower = token.lower()
        family = "negation" if lower.endswith(("n't", "n’t")) else _QUALIFIERS.get(lower)
        if family is not None:
            qualifiers.add(family)
        if lower in _STOP_WORDS or _APOSTROPHE.split(lower, maxsplit=1)[0] in _STOP_WORDS:
            continue
        if lower in _NUMBER_VALUES:  # a number, as if written in digits
            numbers.add(_NUMBER_VALUES[lower])
            continue
        stem = _stem(lower)
        content.add(stem)
        if lower in _NUMBER_WORDS:
            numbers.add(lower)
        # A capitalised word that does not open the text is most likely a name; one that opens
        # it is a name when the next word is capitalised too ("Norman Foster designed it").
        if token[0].isupper() and (i > 0 or (len(tokens) > 1 and tokens[1][0].isupper())):
            names.add(stem)
    return _Words(frozenset(content), frozenset(numbers), frozenset(names), frozenset(qualifiers))


_NO_WORDS = _Words(frozenset(), frozenset(), frozenset(), frozenset())


def _by_shared_words(keys: frozenset[str], source_keys: Sequence[frozenset[str]]) -> list[int]:
    """Indices of the source sentences, those sharing the most of ``keys`` first (ties in text order)."""
    return sorted(range(len(source_keys)), key=lambda j: -len(keys & source_keys[j]))


_TASK_WORDS = frozenset(_stem(w) for w in _TASK_TEXT.split()) | _NUMBER_WORDS
_COURTESY_WORDS = frozenset(_stem(w) for w in _COURTESY_TEXT.split())


def query_names_subject(query: str) -> bool:
    """Whether ``query`` names something the answer must be about, beyond task words.

    "When was the Eiffel Tower finished?" does (``eiffel``, ``tower``, ``finish``); "Summarize
    the following article." and "Tell me more." do not: relevance to them cannot be judged
    from the query, only from the text they point at. A number in digits counts as a subject.
    """
    words = _words(query)
    return bool(words.content - _TASK_WORDS) or any(n[0].isdigit() for n in words.numbers)


@dataclass(frozen=True, slots=True)
class _Curve:
    weights: tuple[float, ...]
    bias: float

    def __call__(self, features: Sequence[float]) -> float:
        z = sum(w * f for w, f in zip(self.weights, features, strict=True)) + self.bias
        return 1.0 / (1.0 + math.exp(-z))


@dataclass(frozen=True, slots=True)
class GroundingCalibration:
    """The fitted curves (:func:`grounding_features`, :func:`relevance_features`, :func:`source_relevance_features`)."""

    grounding: _Curve
    relevance: _Curve
    #: Relevance to the source: is the response about the text the query points at?
    source_relevance: _Curve

    @classmethod
    def load(cls, path: Path = CALIBRATION_PATH) -> GroundingCalibration:
        """Read the curves written by ``training/calibrate_grounding.py``."""
        try:
            data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            sizes = {
                "grounding": _GROUNDING_FEATURES,
                "relevance": _RELEVANCE_FEATURES,
                "source_relevance": _SOURCE_RELEVANCE_FEATURES,
            }
            curves = {}
            for key, size in sizes.items():
                curve = _Curve(tuple(float(w) for w in data[key]["weights"]), float(data[key]["bias"]))
                # A file fitted for other features would fail on every call; refuse it at load.
                if len(curve.weights) != size:
                    raise ValueError("curve weights do not match the detector's features")
                curves[key] = curve
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise DetectorUnavailableError(f"unusable grounding calibration {path}: {exc}") from exc
        return cls(curves["grounding"], curves["relevance"], curves["source_relevance"])

    @classmethod
    def from_weights(
        cls,
        grounding: Sequence[float],
        grounding_bias: float,
        relevance: Sequence[float],
        relevance_bias: float,
        source_relevance: Sequence[float] = (0.0,) * _SOURCE_RELEVANCE_FEATURES,
        source_relevance_bias: float = 0.0,
    ) -> GroundingCalibration:
        """Curves from explicit weights (for fitting and tests)."""
        return cls(
            _Curve(tuple(grounding), grounding_bias),
            _Curve(tuple(relevance), relevance_bias),
            _Curve(tuple(source_relevance), source_relevance_bias),
        )


@lru_cache(maxsize=1)
def _default_calibration() -> GroundingCalibration:
    return GroundingCalibration.load()


@dataclass(frozen=True, slots=True)
class SentenceSupport:
    """How well one response sentence is backed by the source."""

    start: int
    end: int
    score: float
    #: Share of the sentence's new content words (those not restating the query) found in
    #: the source; 1.0 when it adds none.
    word_support: float
    #: Best cosine to a source sentence; ``None`` when not computed because every new word is
    #: in the source (the cosine could only raise a support that is already complete).
    similarity: float | None
    unsupported_numbers: tuple[str, ...]
    unsupported_names: tuple[str, ...]
    #: Qualifier families ("negation", "only", "hedge") the sentence adds that neither the
    #: query nor the source sentence it rests on uses.
    unsupported_qualifiers: tuple[str, ...] = ()
    #: The new content words (stemmed) not found in the source.
    unsupported_words: tuple[str, ...] = ()

    @property
    def features(self) -> tuple[float, ...]:
        """The grounding curve's inputs (:func:`grounding_features`) for this sentence."""
        return grounding_features(
            self.word_support,
            self.similarity or 0.0,
            len(self.unsupported_numbers),
            len(self.unsupported_names),
            len(self.unsupported_qualifiers),
        )


def grounding_features(
    word_support: float,
    similarity: float,
    unsupported_numbers: int,
    unsupported_names: int,
    unsupported_qualifiers: int = 0,
) -> tuple[float, ...]:
    """The grounding curve's inputs for one sentence.

    Similarity only ever raises support (``max`` with word support): a faithful paraphrase
    shares few words but is close in meaning, while a short, correct answer ("Delhi") is
    far in embedding space from the source sentence it comes from, and must not be
    penalised for being short.
    """
    return (
        max(word_support, similarity),
        min(unsupported_numbers, 2) / 2,
        min(unsupported_names, 3) / 3,
        float(min(unsupported_qualifiers, 1)),
    )


def relevance_features(whole: float, best_sentence: float, query_word_share: float) -> tuple[float, ...]:
    """The relevance curve's inputs: cosines to the whole response and to its best sentence, word share."""
    return (whole, best_sentence, query_word_share)


def source_relevance_features(
    whole: float, mean_sentence: float, source_word_share: float
) -> tuple[float, ...]:
    """The source-relevance curve's inputs.

    ``whole``: the whole response's best cosine to a source sentence; ``mean_sentence``: each
    response sentence's best cosine to a source sentence, averaged (an answer that drifts off
    the source in some sentences scores lower); ``source_word_share``: the share of the
    response's content words found in the source.
    """
    return (whole, mean_sentence, source_word_share)


@dataclass(frozen=True, slots=True)
class RelevanceJudgement:
    """A relevance score and what it was judged against."""

    score: float
    #: ``"query"``, ``"source"``, or ``"none"``: the query names no subject and no source was
    #: given, or the answer has no content word (then nothing makes it off-topic: 1.0), or no
    #: sentence at all (0.0).
    against: str
    #: The response sentence closest to what it was judged against, and its cosine.
    span: tuple[int, int] | None = None
    similarity: float = 0.0


class GroundingDetector(Detector):
    """Scores a response's grounding in its source and its relevance to the query."""

    name = "grounding"
    policy_kind = PolicyKind.CONTEXTUAL_GROUNDING
    cost = 60
    languages = LEARNED_LANGUAGES["contextual_grounding"]

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
            findings.append(self._relevance_finding(text, request.query, request.grounding_source))
        return findings

    def sentence_support(self, response: str, source: str, query: str | None = None) -> list[SentenceSupport]:
        """Every response sentence with its support score, in text order."""
        spans = sentence_spans(response)
        if not spans:
            return []
        source_spans = sentence_spans(source)
        source_texts = [source[s:e] for s, e in source_spans]
        source_analysed = [_words(t) for t in source_texts]
        source_keys = [w.content | w.numbers for w in source_analysed]
        whole_source = _words(source)
        asked = _words(query) if query else _NO_WORDS
        source_prefixes = _prefixes(whole_source.content)
        query_prefixes = _prefixes(asked.content)
        supported_numbers = whole_source.numbers | asked.numbers
        sentences = [response[s:e] for s, e in spans]
        analysed = [_words(t) for t in sentences]
        # Per sentence: its new words (restating the query is neither support nor novelty),
        # those absent from the source, and the source sentences sharing most of its words.
        new_words: list[list[str]] = []
        missing: list[tuple[str, ...]] = []
        candidates: list[list[int]] = []
        resting: list[frozenset[str]] = []
        for words in analysed:
            new = sorted(
                w
                for w in words.content
                if w not in _COURTESY_WORDS and not _found(w, asked.content, query_prefixes)
            )
            new_words.append(new)
            missing.append(tuple(w for w in new if not _found(w, whole_source.content, source_prefixes)))
            keys = words.content | words.numbers
            ranked = _by_shared_words(keys, source_keys)
            candidates.append(ranked[:_SOURCE_CANDIDATES])
            best = ranked[0] if ranked and keys & source_keys[ranked[0]] else None
            resting.append(source_analysed[best].qualifiers if best is not None else frozenset())
        # Embed only where a cosine can change the score: some new word is not in the source.
        to_embed = [k for k in range(len(sentences)) if missing[k] and candidates[k]]
        needed = sorted({j for k in to_embed for j in candidates[k]})
        similarity: dict[int, float] = {}
        if to_embed:
            vectors = self._embedder.embed(
                [sentences[k] for k in to_embed] + [source_texts[j] for j in needed]
            )
            source_vectors = {j: vectors[len(to_embed) + n] for n, j in enumerate(needed)}
            for n, k in enumerate(to_embed):
                similarity[k] = max(float(vectors[n] @ source_vectors[j]) for j in candidates[k])
        results: list[SentenceSupport] = []
        for k, ((start, end), words) in enumerate(zip(spans, analysed, strict=True)):
            new = new_words[k]
            word_support = 1.0 - len(missing[k]) / len(new) if new else 1.0
            # A qualifier is supported by the query or by the source sentence the claim rests on
            # (the one sharing most of its words).
            qualifiers = tuple(sorted(words.qualifiers - asked.qualifiers - resting[k]))
            support = SentenceSupport(
                start=start,
                end=end,
                score=0.0,
                word_support=word_support,
                similarity=similarity.get(k),
                unsupported_numbers=tuple(sorted(words.numbers - supported_numbers)),
                unsupported_names=tuple(
                    sorted(
                        n
                        for n in words.names
                        if not (
                            _found(n, whole_source.content, source_prefixes)
                            or _found(n, asked.content, query_prefixes)
                        )
                    )
                ),
                unsupported_qualifiers=qualifiers,
                unsupported_words=missing[k],
            )
            results.append(replace(support, score=self._calibration.grounding(support.features)))
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

    def source_relevance_evidence(
        self, response: str, source: str
    ) -> tuple[tuple[float, ...], tuple[int, int]] | None:
        """The source-relevance curve's inputs and the span of the sentence closest to the source.

        Each response sentence is compared with the source sentences that share most of its
        words (as grounding does, and the embedder's cache serves those grounding embedded).
        """
        spans = sentence_spans(response)
        source_spans = sentence_spans(source)
        if not spans or not source_spans:
            return None
        sentences = [response[s:e] for s, e in spans]
        source_texts = [source[s:e] for s, e in source_spans]
        source_keys = [w.content | w.numbers for w in map(_words, source_texts)]
        chosen: set[int] = set()
        for sentence in sentences:
            words = _words(sentence)
            keys = words.content | words.numbers
            chosen.update(_by_shared_words(keys, source_keys)[:_SOURCE_CANDIDATES])
        candidates = sorted(chosen)
        vectors = self._embedder.embed([response, *sentences, *(source_texts[j] for j in candidates)])
        source_vectors = vectors[1 + len(sentences) :]
        sims = vectors[1 : 1 + len(sentences)] @ source_vectors.T
        per_sentence = sims.max(axis=1)
        best = int(np.argmax(per_sentence))
        whole_source = _words(source)
        prefixes = _prefixes(whole_source.content)
        content = _words(response).content
        share = (
            sum(_found(w, whole_source.content, prefixes) for w in content) / len(content) if content else 0.0
        )
        whole = float((source_vectors @ vectors[0]).max())
        return source_relevance_features(whole, float(per_sentence.mean()), share), spans[best]

    def relevance_judgement(self, response: str, query: str, source: str | None = None) -> RelevanceJudgement:
        """How relevant ``response`` is: the better of its relevance to the query and to the source.

        A query of task words only is not compared (it names no subject); with no source
        either, the answer cannot be off-topic and the score is 1.0. Nor can an answer without
        a content word ("Yes.", "No", "1957", "more than 1,600"): it has no subject to be off.
        An empty response is relevant to nothing (0.0).
        """
        if not sentence_spans(response):
            return RelevanceJudgement(0.0, "none")
        if not _words(response).content:
            return RelevanceJudgement(1.0, "none")
        judged: list[RelevanceJudgement] = []
        if query_names_subject(query):
            evidence = self.relevance_evidence(response, query)
            if evidence is not None:
                features, span = evidence
                judged.append(
                    RelevanceJudgement(self._calibration.relevance(features), "query", span, features[1])
                )
        if source is not None:
            evidence = self.source_relevance_evidence(response, source)
            if evidence is not None:
                features, span = evidence
                score = self._calibration.source_relevance(features)
                judged.append(RelevanceJudgement(score, "source", span, features[1]))
        if judged:
            return max(judged, key=lambda j: j.score)
        return RelevanceJudgement(1.0, "none")

    def relevance(
        self, response: str, query: str, source: str | None = None
    ) -> tuple[float, tuple[int, int] | None, float]:
        """The relevance score, the span of the sentence closest to the query or source, and its cosine."""
        judgement = self.relevance_judgement(response, query, source)
        return judgement.score, judgement.span, judgement.similarity

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
                "similarity": None if weakest.similarity is None else round(weakest.similarity, 4),
                # Counts, not the words: they come from the checked text and may be personal
                # data (a phone number is an "unsupported number"); details reach the audit trail.
                "unsupported_numbers": len(weakest.unsupported_numbers),
                "unsupported_names": len(weakest.unsupported_names),
                "unsupported_qualifiers": len(weakest.unsupported_qualifiers),
            },
        }
        return _finding("GROUNDING", GROUNDING_RULE, text, weakest.score, details)

    def _relevance_finding(self, text: str, query: str, source: str | None) -> Finding:
        judgement = self.relevance_judgement(text, query, source)
        details: dict[str, Any] = {"judged_against": judgement.against}
        if judgement.span is not None:
            start, end = judgement.span
            details["most_relevant"] = {
                "start": start,
                "end": end,
                "similarity": round(judgement.similarity, 4),
            }
        return _finding("RELEVANCE", RELEVANCE_RULE, text, judgement.score, details)


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
