"""Language coverage: text in a language the detectors are not trusted on must not pass silently.

The learned detectors (content filters, denied topics, grounding) are trained and measured
on English; a prompt in another language mostly slips past them. A policy's ``languages``
section names the supported languages and what to do with the rest: ``BLOCK`` it,
``REVIEW`` it (reported with action NONE, so it is recorded and can be queued for a person),
or ``ALLOW`` it (no check). The finding is a content-policy finding of type
``UNSUPPORTED_LANGUAGE`` whose score is the probability that the text is in an unsupported
language; ``details`` names the detected language.

Detection is offline and cheap:

1. a script count: text written mostly in a non-Latin script (Cyrillic, Greek, Arabic,
   Hebrew, Devanagari, Han, Kana, Hangul, Thai, ...) whose languages are not supported is
   reported without running any model;
2. when English is supported, a piece whose words are at least :data:`ENGLISH_FUNCTION_SHARE`
   English function words ("the", "and", "with", ...; none of them common words of
   another language) is English without running the model: most traffic is, and the
   model is the detector's main cost;
3. otherwise ``py3langid`` (BSD-3-Clause; its model ships inside the package and it never
   downloads) ranks 142 languages; the text counts as unsupported when the supported
   languages together get less than :data:`SUPPORTED_MASS_MIN` of the probability.
   Mixed signals (code, names, slang) leave some mass on English and pass.

Texts with fewer than :data:`MIN_LETTERS` letters are not judged: a greeting or a name is
too short to tell. A Han, Kana or Hangul character counts as :data:`DENSE_SCRIPT_WEIGHT`
letters, because it carries a syllable or a word: a 19-character Chinese instruction is a
whole sentence, not a greeting, and must not pass unjudged. Long texts are judged in pieces
of about :data:`CHUNK_CHARS` characters, so a paragraph in another language inside an English document is found and located.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from steward.assessment import Finding, PolicyKind
from steward.detectors.base import DetectionRequest, Detector
from steward.errors import DetectorUnavailableError
from steward.policy.schema import Policy, UnsupportedLanguageAction
from steward.rules import rule_key

__all__ = [
    "CHUNK_CHARS",
    "DENSE_SCRIPT_WEIGHT",
    "MIN_LETTERS",
    "SUPPORTED_MASS_MIN",
    "LanguageDetector",
    "LanguageGuess",
    "guess_language",
]

#: Fewest letters a text (or piece) needs before its language is judged.
MIN_LETTERS = 20
#: Letters a Han, Kana or Hangul character counts for against :data:`MIN_LETTERS` (a Chinese
#: word is one or two characters, an English one about five letters).
DENSE_SCRIPT_WEIGHT = 3
#: Texts longer than this are judged in pieces of about this size, cut at sentence ends.
CHUNK_CHARS = 600
#: Below this share of probability on supported languages, a Latin-script text is unsupported.
SUPPORTED_MASS_MIN = 0.2
#: Share of a piece's words that must be English function words for it to pass as English
#: without the model (English prose: about 0.3–0.45; French, Spanish, German: under 0.05).
ENGLISH_FUNCTION_SHARE = 0.25
#: English words that are not ordinary words of other Latin-script languages ("in", "a",
#: "die", "me", "on" and "do" are left out on purpose).
_ENGLISH_FUNCTION_WORDS = frozenset(
    [
        "the",
        "and",
        "of",
        "to",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "that",
        "this",
        "these",
        "those",
        "with",
        "for",
        "you",
        "your",
        "it",
        "its",
        "we",
        "our",
        "they",
        "their",
        "he",
        "she",
        "his",
        "her",
        "what",
        "which",
        "who",
        "how",
        "why",
        "when",
        "where",
        "can",
        "could",
        "will",
        "would",
        "should",
        "not",
        "have",
        "has",
        "had",
        "from",
        "by",
        "or",
        "but",
        "if",
        "there",
        "than",
        "then",
        "about",
        "into",
        "please",
        "my",
    ]
)
#: Share of letters a non-Latin script needs to decide the language without a model.
_SCRIPT_SHARE_MIN = 0.5
RULE = rule_key("languages")
FINDING_TYPE = "UNSUPPORTED_LANGUAGE"

#: Non-Latin scripts, their letters, and the py3langid languages written in them.
_SCRIPTS: dict[str, tuple[re.Pattern[str], frozenset[str]]] = {
    name: (re.compile(pattern), frozenset(langs.split()))
    for name, pattern, langs in (
        ("Cyrillic", r"[\u0400-\u052F]", "ru uk bg mk sr be kk ky mn tg tt ba"),
        ("Greek", r"[\u0370-\u03FF\u1F00-\u1FFF]", "el grc"),
        ("Arabic", r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF]", "ar fa ur ps ug ku sdh ary arz"),
        ("Hebrew", r"[\u0590-\u05FF]", "he hbo"),
        ("Devanagari", r"[\u0900-\u097F]", "hi mr ne sa gom"),
        ("Bengali", r"[\u0980-\u09FF]", "bn as"),
        ("Han", r"[\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF]", "zh ja wuu yue"),
        ("Kana", r"[\u3040-\u30FF]", "ja"),
        ("Hangul", r"[\u1100-\u11FF\u3130-\u318F\uAC00-\uD7AF]", "ko"),
        ("Thai", r"[\u0E00-\u0E7F]", "th"),
        ("Georgian", r"[\u10A0-\u10FF]", "ka"),
        ("Armenian", r"[\u0530-\u058F]", "hy"),
        ("Tamil", r"[\u0B80-\u0BFF]", "ta"),
    )
}
_LETTER = re.compile(r"[^\W\d_]")
#: Scripts whose characters carry a syllable or a word (see :data:`DENSE_SCRIPT_WEIGHT`).
_DENSE_SCRIPTS = ("Han", "Kana", "Hangul")
_WORD = re.compile(r"\b\w[\w'’-]*")
#: Labels py3langid gives to informal text in a supported language: Nigerian Pidgin for
#: chatty English and for code.
_ALIASES: dict[str, tuple[str, ...]] = {"en": ("pcm",)}
_SENTENCE_END = re.compile(r"(?<=[.!?。！？\n])\s+")


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    """The most likely language of a text and how sure the guess is that it is unsupported."""

    language: str
    #: Probability that the text is in none of the supported languages.
    unsupported: float
    #: ``script`` (decided by the writing system), ``function-words`` (plainly English) or
    #: ``model`` (py3langid).
    method: str


@lru_cache(maxsize=1)
def _identifier() -> Any:
    """py3langid's identifier with normalised probabilities, loaded once (about 2 s)."""
    try:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier
    except ImportError as exc:  # pragma: no cover - py3langid is a core dependency
        raise DetectorUnavailableError("py3langid is not installed: pip install py3langid") from exc
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def guess_language(text: str, supported: frozenset[str]) -> LanguageGuess | None:
    """The language of ``text`` judged against ``supported``; ``None`` when too short to judge."""
    letters = len(_LETTER.findall(text))
    counts = {name: len(pattern.findall(text)) for name, (pattern, _) in _SCRIPTS.items()}
    dense = sum(counts[name] for name in _DENSE_SCRIPTS)
    if letters + (DENSE_SCRIPT_WEIGHT - 1) * dense < MIN_LETTERS:
        return None
    script = max(counts, key=lambda name: counts[name])
    share = counts[script] / letters
    if script in ("Han", "Kana") and counts["Kana"]:
        # Japanese mixes kanji and kana in every sentence: together they are its script.
        script, share = "Kana", (counts["Han"] + counts["Kana"]) / letters
    if share >= _SCRIPT_SHARE_MIN:
        languages = _SCRIPTS[script][1]
        if not languages & supported:
            return LanguageGuess(
                language=sorted(languages)[0] if len(languages) == 1 else script,
                unsupported=share,
                method="script",
            )
    if "en" in supported and _english_function_share(text) >= ENGLISH_FUNCTION_SHARE:
        return LanguageGuess(language="en", unsupported=0.0, method="function-words")
    # Capitalised words are mostly names, which say little about the language a text is
    # written in ("Send it to Jean-Pierre at Société Générale" is English).
    without_names = _WORD.sub(lambda m: " " if m.group()[0].isupper() else m.group(), text)
    if len(_LETTER.findall(without_names)) >= MIN_LETTERS // 2:
        text = without_names
    ranking: list[tuple[str, float]] = _identifier().rank(text)
    accepted = supported | {alias for lang in supported for alias in _ALIASES.get(lang, ())}
    top = ranking[0][0]
    if top in accepted:
        return LanguageGuess(language=top, unsupported=0.0, method="model")
    supported_mass = sum(p for lang, p in ranking if lang in accepted)
    return LanguageGuess(language=top, unsupported=max(0.0, 1.0 - supported_mass), method="model")


def _english_function_share(text: str) -> float:
    words = _WORD.findall(text.lower())
    return sum(w in _ENGLISH_FUNCTION_WORDS for w in words) / len(words) if words else 0.0


def _chunks(text: str) -> list[tuple[int, int]]:
    """Pieces of about :data:`CHUNK_CHARS` characters, cut after sentence ends where possible."""
    if len(text) <= CHUNK_CHARS:
        return [(0, len(text))]
    pieces: list[tuple[int, int]] = []
    start = 0
    while start < len(text):
        end = min(len(text), start + CHUNK_CHARS)
        if end < len(text):
            cuts = [m.end() for m in _SENTENCE_END.finditer(text, start + CHUNK_CHARS // 2, end)]
            end = cuts[-1] if cuts else end
        pieces.append((start, end))
        start = end
    return pieces


class LanguageDetector(Detector):
    """Reports text written in a language the policy does not list as supported."""

    name = "language"
    policy_kind = PolicyKind.CONTENT
    cost = 5

    def __init__(self, supported: frozenset[str]) -> None:
        self.supported = supported
        _identifier()  # load now, not on the first request

    @classmethod
    def from_policy(cls, policy: Policy) -> LanguageDetector | None:
        """The check for ``policy.languages``; ``None`` without that section or with ``ALLOW``."""
        languages = policy.languages
        if languages is None or languages.unsupported_action is UnsupportedLanguageAction.ALLOW:
            return None
        return cls(frozenset(languages.supported))

    def rules(self) -> frozenset[str]:
        """The one ``languages`` rule."""
        return frozenset({RULE})

    def detect(self, text: str, request: DetectionRequest) -> list[Finding]:
        """One finding per piece of text in an unsupported language (adjacent pieces merged)."""
        if request.rules and RULE not in request.rules:
            return []
        flagged: list[tuple[int, int, LanguageGuess]] = []
        for start, end in _chunks(text):
            guess = guess_language(text[start:end], self.supported)
            if guess is None or guess.unsupported < 1.0 - SUPPORTED_MASS_MIN:
                continue
            if flagged and flagged[-1][1] == start and flagged[-1][2].language == guess.language:
                previous = flagged.pop()
                guess = max(previous[2], guess, key=lambda g: g.unsupported)
                start = previous[0]
            flagged.append((start, end, guess))
        return [
            Finding(
                policy=PolicyKind.CONTENT,
                type=FINDING_TYPE,
                detector=self.name,
                start=start,
                end=end,
                match=text[start:end],
                score=guess.unsupported,
                rule=RULE,
                details={
                    "language": guess.language,
                    "method": guess.method,
                    "supported": sorted(self.supported),
                },
            )
            for start, end, guess in flagged
        ]
