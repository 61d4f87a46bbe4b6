"""Word filters: custom words and the managed PROFANITY list, matched robustly to obfuscation.

Matching is case-insensitive and whole-word (``ass`` never matches ``class`` or ``assessment``,
``cunt`` never matches ``Scunthorpe``), phrases match across any whitespace or punctuation, and
the spellings people use to slip past filters are read as the word they spell: separators
between letters (``f.u.c.k``, ``f u c k``), stretched letters (``fuuuuck``), leetspeak
(``sh1t``, ``@$$``, ``f*ck``), look-alike letters from other scripts and full-width or styled
forms (``fսck``, ``ｆｕｃｋ``, ``𝐟𝐮𝐜𝐤``), accents and invisible characters (``fu\\u200bck``).

How: :mod:`steward.text.normalize` folds the text (and each listed word, the same way), runs
of a repeated letter are collapsed on both sides, and one Aho-Corasick automaton per list finds
every listed word, bounded by spaces, in a single pass over each reading of the text. A
collapsed match is kept only if every letter in the text is written as many times in a row as
in the listed word, or stretched to three or more: stretching matches (``shiiiit``), dropping a
letter never does (``as`` is not ``ass``), nor does an ordinary double letter (``assess`` is not
``asses``). The automaton is built once per policy; the managed list's once per process.
Offsets into the original text are computed only for matches.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

import ahocorasick

from steward.assessment import Finding, PolicyKind
from steward.detectors.base import DetectionRequest, Detector
from steward.detectors.profanity import ALLOWED_CONTEXTS, managed_profanity_words
from steward.policy.schema import Policy
from steward.rules import rule_key
from steward.text.normalize import (
    REPEATED_LETTER,
    NormalizedText,
    RepeatCollapsed,
    collapse_repeats,
    normalize,
    normalize_views,
)

__all__ = ["MAX_FINDINGS", "WordMatch", "WordMatcher", "WordsDetector", "prepare", "profanity_matcher"]

#: At most this many word findings per text (in text order): the text is judged long before.
MAX_FINDINGS = 1000
_VOWELS = frozenset("aeiou")
#: Single words this long or shorter are also listed with one vowel masked (``f*ck``).
_MASKABLE_MAX = 20
#: Words with this many ``l`` or fewer are listed with every mix of ``l`` and ``i``.
_L_SPOTS_MAX = 3


@dataclass(frozen=True, slots=True)
class WordMatch:
    """One listed word found in a text: original offsets and the list entry that matched."""

    start: int
    end: int
    word: str


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A listed word behind an automaton key, with the letter runs the text must have."""

    entry: int
    #: How many times the listed word writes each letter of the collapsed key in a row.
    runs: tuple[int, ...]
    #: 0 for the word as written, higher for looser variants (see :func:`_variants`).
    rank: int = 0
    #: An allowed context (managed list only): matches inside it are dropped.
    allow: bool = False


class _View:
    """One reading of the text, ready for matching: normalised, then with repeats collapsed."""

    __slots__ = ("collapsed", "haystack", "normalized")

    def __init__(self, normalized: NormalizedText) -> None:
        self.normalized = normalized
        self.collapsed: RepeatCollapsed = collapse_repeats(normalized.text)
        self.haystack = f" {self.collapsed.text} "

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Original offsets of collapsed characters ``start:end``."""
        n_start, n_end = self.collapsed.source_span(start, end)
        return self.normalized.span(n_start, n_end)


def prepare(text: str) -> list[_View]:
    """The readings of ``text`` every word list looks in (see :func:`normalize_views`)."""
    return [_View(reading) for reading in normalize_views(text)]


def _variants(normalized: str, *, mask_vowels: bool) -> dict[str, int]:
    """Spellings a listed word is also looked for under, each with its rank (0 = as written).

    Rank 1: ``l`` read as ``i`` (the normaliser reads ``1`` as ``i``, so ``he11`` and ``he1l``
    find ``hell``), every mix for words with up to three ``l``, all of them for longer ones;
    rank 2: one vowel masked with ``*`` (``f*ck``), when asked. Single words only.
    """
    variants = {normalized: 0}
    if " " in normalized:
        return variants  # phrases are matched as written: variants of long phrases cost memory
    spots = [i for i, ch in enumerate(normalized) if ch == "l"]
    if len(spots) > _L_SPOTS_MAX:
        variants.setdefault(normalized.replace("l", "i"), 1)
    else:  # every mix of l and i (he1l as well as he11)
        for chosen in range(1, 1 << len(spots)):
            letters = list(normalized)
            for bit, i in enumerate(spots):
                if chosen >> bit & 1:
                    letters[i] = "i"
            variants.setdefault("".join(letters), 1)
    if mask_vowels and 3 <= len(normalized) <= _MASKABLE_MAX:
        for base in list(variants):
            for i, ch in enumerate(base):
                if ch in _VOWELS:
                    variants.setdefault(f"{base[:i]}*{base[i + 1 :]}", 2)
    return variants


def _collapse_key(word: str) -> tuple[str, tuple[int, ...]]:
    """A listed word with letter runs collapsed, and how long each run was (``ass`` → ``as``, (1, 2))."""
    lengths: list[int] = []
    pos = 0
    for m in REPEATED_LETTER.finditer(word):
        lengths.extend([1] * (m.start() - pos))
        lengths.append(m.end() - m.start())
        pos = m.end()
    if not lengths:
        return word, (1,) * len(word)
    lengths.extend([1] * (len(word) - pos))
    return REPEATED_LETTER.sub(r"\1", word), tuple(lengths)


def _spells(written: int, listed: int) -> bool:
    """Whether a letter written ``written`` times in a row spells one the list writes ``listed`` times.

    The same count always does; more only from three on, so stretching is read as
    obfuscation (``fuuuck``, ``asssss``) but an ordinary double letter is not (``assess`` is not
    ``asses``); fewer never does (``as`` is not ``ass``).
    """
    return written == listed or written >= max(listed, 3)


class WordMatcher:
    """A word list compiled for whole-word, obfuscation-robust matching (see the module docstring).

    ``mask_vowels`` also lists each single word with one vowel written as ``*`` (``f*ck``): it
    triples the automaton, so it is on for the managed list and off for custom lists.
    ``allowed_contexts`` are phrases inside which a match is dropped.
    """

    def __init__(
        self, words: Sequence[str], *, mask_vowels: bool = False, allowed_contexts: Iterable[str] = ()
    ) -> None:
        self.words: tuple[str, ...] = tuple(words)
        normalized = [normalize(word).text for word in self.words]
        # Entries already written plainly win a key over obfuscated duplicates (fuck over f_u_c_k).
        plain_first = sorted(
            range(len(self.words)), key=lambda i: normalized[i] != " ".join(self.words[i].casefold().split())
        )
        entries = [(i, normalized[i], _variants(normalized[i], mask_vowels=mask_vowels)) for i in plain_first]
        entries += [(-1, form, {form: 0}) for form in (normalize(c).text for c in allowed_contexts)]
        keys: dict[str, list[_Candidate]] = {}
        for index, form, variants in entries:
            if not form:
                continue  # nothing but punctuation: there is no word to find
            allow = index < 0
            for variant, rank in variants.items():
                key, runs = _collapse_key(variant)
                bucket = keys.setdefault(key, [])
                if not any(c.runs == runs and c.allow == allow for c in bucket):
                    bucket.append(_Candidate(index, runs, rank, allow))
        self._automaton: ahocorasick.Automaton | None = None
        if keys:
            automaton = ahocorasick.Automaton()
            for key, bucket in keys.items():
                automaton.add_word(f" {key} ", (len(key), tuple(bucket)))
            automaton.make_automaton()
            self._automaton = automaton

    def __len__(self) -> int:
        return len(self.words)

    def find(self, views: Sequence[_View], *, limit: int = MAX_FINDINGS) -> list[WordMatch]:
        """Every listed word in the prepared text (:func:`prepare`), in text order, at most ``limit``."""
        if self._automaton is None:
            return []
        found: set[WordMatch] = set()
        for view in views:
            hits: list[tuple[int, int, int]] = []
            allowed: list[tuple[int, int]] = []
            for end, (length, bucket) in self._automaton.iter(view.haystack):
                start = end - length - 1  # haystack index end is the closing space; text is shifted by one
                stop = end - 1
                best = _best(bucket, view.collapsed, start)
                if best is None:
                    continue
                if best.allow:
                    allowed.append((start, stop))
                else:
                    hits.append((start, stop, best.entry))
            for start, stop, entry in hits:
                if any(a <= start and stop <= b for a, b in allowed):
                    continue
                o_start, o_end = view.original_span(start, stop)
                found.add(WordMatch(o_start, o_end, self.words[entry]))
                if len(found) >= limit:
                    break
        return sorted(found, key=lambda m: (m.start, m.end, m.word))[:limit]

    def find_in(self, text: str) -> list[WordMatch]:
        """Every listed word in ``text`` (normalises it first)."""
        return self.find(prepare(text)) if text else []


def _best(bucket: tuple[_Candidate, ...], collapsed: RepeatCollapsed, start: int) -> _Candidate | None:
    """The candidate the text spells (see :func:`_spells`): the most specific, then the closest.

    Most specific: ``assss`` is reported as ``ass`` rather than ``as`` when both are listed;
    closest: a word as written beats a variant; then list order.
    """
    written = collapsed.run_lengths(start, start + len(bucket[0].runs))
    best: _Candidate | None = None
    best_key = (0, 0)
    for candidate in bucket:
        if all(_spells(w, n) for w, n in zip(written, candidate.runs, strict=True)):
            if candidate.allow:
                return candidate
            key = (sum(candidate.runs), -candidate.rank)
            if best is None or key > best_key:
                best, best_key = candidate, key
    return best


def _same_words(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


@cache
def profanity_matcher() -> WordMatcher:
    """The managed PROFANITY list, compiled once per process.

    Words that many other entries build on come first (``fuck`` before ``fack``), so a
    spelling that could be either (``f*ck``) is reported as the commoner word.
    """
    words = managed_profanity_words()
    forms = [normalize(word).text for word in words]
    family = {word: sum(form in other for other in forms) for word, form in zip(words, forms, strict=True)}
    ordered = sorted(words, key=lambda word: -family[word])
    return WordMatcher(ordered, mask_vowels=True, allowed_contexts=ALLOWED_CONTEXTS)


class WordsDetector(Detector):
    """Finds ``word_filters.words`` (``CUSTOM_WORD``) and managed lists (``PROFANITY``)."""

    name = "words"
    policy_kind = PolicyKind.WORD
    cost = 0

    CUSTOM_RULE = rule_key("word_filters.words")
    PROFANITY_RULE = rule_key("word_filters.managed_lists", "PROFANITY")

    def __init__(self, *, custom: WordMatcher | None = None, profanity: WordMatcher | None = None) -> None:
        self._lists: list[tuple[WordMatcher, str, str]] = []
        if custom is not None and len(custom):
            self._lists.append((custom, self.CUSTOM_RULE, "CUSTOM_WORD"))
        if profanity is not None:
            self._lists.append((profanity, self.PROFANITY_RULE, "PROFANITY"))

    @classmethod
    def from_policy(cls, policy: Policy) -> WordsDetector | None:
        filters = policy.word_filters
        if filters is None or not (filters.words or filters.managed_lists):
            return None
        custom = WordMatcher(filters.words) if filters.words else None
        profanity = profanity_matcher() if "PROFANITY" in filters.managed_lists else None
        return cls(custom=custom, profanity=profanity)

    def rules(self) -> frozenset[str]:
        return frozenset(rule for _, rule, _ in self._lists)

    def detect(self, text: str, request: DetectionRequest) -> list[Finding]:
        active = [entry for entry in self._lists if not request.rules or entry[1] in request.rules]
        if not active or not text:
            return []
        views = prepare(text)
        findings: list[Finding] = []
        for matcher, rule, kind in active:
            for m in matcher.find(views):
                match = text[m.start : m.end]
                findings.append(
                    Finding(
                        policy=PolicyKind.WORD,
                        type=kind,
                        detector=self.name,
                        start=m.start,
                        end=m.end,
                        match=match,
                        score=1.0,
                        rule=rule,
                        details={"word": m.word, "obfuscated": not _same_words(match, m.word)},
                    )
                )
        findings.sort(key=lambda f: (f.start, f.end))
        return findings[:MAX_FINDINGS]
