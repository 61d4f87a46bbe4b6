"""Undo common text obfuscation while remembering where every character came from.

People who want a filter to miss a word write it in ways a reader still understands:
``FUCK``, ``ｆｕｃｋ`` (full width), ``fu\\u200bck`` (a zero-width space), ``fuсk`` (a Cyrillic
look-alike), ``fück`` (an accent), ``f.u.c.k`` or ``f u c k`` (separators), ``sh1t`` or ``$hit``
(leetspeak). :func:`normalize` maps all of these to the plain lowercase word, with single spaces
between words and punctuation turned into spaces, so one literal matcher (Aho-Corasick, a
model's tokenizer) sees what a human sees. :func:`collapse_repeats` undoes stretched letters
(``fuuuuck``) separately, because whether ``ass`` may match ``as`` is the matcher's call.

Every normalised character remembers the span of original characters it came from, so a match
found in the normalised text is reported at exact offsets into the text the user sent —
including zero-width characters and homoglyphs inside the match. Computing that map costs a
Python pass over the text, so it is only done when :meth:`NormalizedText.span` is first called
(in practice: only when something matched); the normalisation itself runs on C-speed string
operations (``str.translate``, ``re.sub``, ``str.split``).

The steps, in order:

1. fold each character (:func:`fold_char`): case (``casefold``), compatibility forms (NFKC:
   full-width letters, ligatures, mathematical and circled letters), accents (combining marks
   are dropped), confusable look-alikes (Unicode's confusables data, via the MIT-licensed
   ``confusable-homoglyphs`` package, to an ASCII letter or digit), invisible characters
   (zero-width, bidi controls, soft hyphen, variation selectors, tags: removed), whitespace
   and punctuation (to a space); letters of scripts written without spaces (Chinese, Japanese,
   Korean syllables, Thai, Lao, Khmer, Myanmar) become one-letter words so that a listed word
   in those scripts is found inside a sentence;
2. ``!`` and ``|`` at the edge of a word are punctuation, not leetspeak (``wow!``);
3. whitespace runs become one space, with none at either end;
4. three or more single letters separated by single spaces are joined (``f u c k`` → ``fuck``;
   ``f.u.c.k`` arrives here as ``f u c k``; ``s h ! t`` → ``sh!t``); a ``!`` or ``|`` still
   standing alone after that is punctuation and goes;
5. leetspeak is decoded inside words that mix letters with digits or symbols (``sh1t`` →
   ``shit``, ``a$$`` → ``ass``); a word of digits alone (``2024``) is left alone, so ordinary
   numbers never turn into words. ``1``, ``!`` and ``|`` all read as ``i``; a matcher that
   wants ``he11`` to find ``hell`` also tries its words with ``l`` read as ``i``. ``*`` stays,
   as a masked letter (``f*ck``), for a matcher to handle.

:func:`normalize_views` also returns the *plain* reading, where leet symbols are spaces and
digits stay digits (``bob@example.com`` → ``bob example com``), because a symbol inside a word
is sometimes leetspeak and sometimes just punctuation, and a reading that keeps a one-letter
word apart from spelled-out letters (``a f u c k`` → ``a fuck``); a matcher looks in all.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from functools import cache, partial
from importlib import resources
from itertools import pairwise

import numpy as np

__all__ = [
    "APART_HEAD",
    "APART_TAIL",
    "REPEATED_LETTER",
    "NormalizedText",
    "RepeatCollapsed",
    "collapse_repeats",
    "fold_char",
    "normalize",
    "normalize_views",
]

#: Symbols that stand for letters in leetspeak, kept by the fold so words using them can be read.
LEET_SYMBOLS = "@$!|+*"
#: How leetspeak reads digits and symbols inside a word that also has letters.
_LEET = str.maketrans(
    {
        "0": "o",
        "1": "i",
        "3": "e",
        "4": "a",
        "5": "s",
        "7": "t",
        "8": "b",
        "9": "g",
        "@": "a",
        "$": "s",
        "!": "i",
        "|": "i",
        "+": "t",
    }
)
#: The plain reading: a leet symbol is punctuation. Every ASCII character is in the table,
#: because ``str.translate`` is slow on characters a table lacks.
_SYMBOLS_TO_SPACE = {cp: " " if chr(cp) in LEET_SYMBOLS else chr(cp) for cp in range(128)}

# Characters that render as nothing: removed, so they can hide inside a word without splitting it.
_INVISIBLE = frozenset(
    {
        0x034F,  # combining grapheme joiner
        0x115F,  # Hangul choseong filler
        0x1160,  # Hangul jungseong filler
        0x17B4,  # Khmer vowel inherent aq
        0x17B5,  # Khmer vowel inherent aa
        0x180E,  # Mongolian vowel separator
        0x3164,  # Hangul filler
        0xFFA0,  # halfwidth Hangul filler
    }
)
# Combining marks used over Latin, Greek and Cyrillic letters (accents, Zalgo text) and the
# variation selectors: dropped. Marks of other scripts (Devanagari vowel signs...) are kept.
_DROPPED_MARK_RANGES = (
    (0x0300, 0x036F),
    (0x1AB0, 0x1AFF),
    (0x1DC0, 0x1DFF),
    (0x20D0, 0x20FF),
    (0xFE00, 0xFE0F),
    (0xFE20, 0xFE2F),
    (0xE0100, 0xE01EF),
)
# Scripts written without spaces between words: each letter becomes a word of its own.
_UNSPACED_RANGES = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xAC00, 0xD7AF),  # Hangul syllables
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0x20000, 0x3134F),  # CJK extensions B-G
)
# Letters drawn inside squares and circles that have no compatibility decomposition.
_BOXED_LETTER_STARTS = (0x1F150, 0x1F170, 0x1F1E6)  # negative circled, negative squared, regional indicators

#: The fold table grows lazily with each new character seen; past this size new entries are
#: computed but not stored, so hostile input cannot grow memory without bound.
_FOLD_CACHE_MAX = 200_000


def _in_ranges(cp: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(lo <= cp <= hi for lo, hi in ranges)


def _ascii_fold(cp: int) -> str:
    ch = chr(cp)
    if ch.isascii() and ch.isalnum():
        return ch.lower()
    return ch if ch in LEET_SYMBOLS else " "


_ASCII = tuple(_ascii_fold(cp) for cp in range(128))


@cache
def _confusables() -> dict[str, list[dict[str, str]]]:
    """Unicode's confusables, as shipped by ``confusable-homoglyphs`` (loaded on first use)."""
    data = resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8")
    table: dict[str, list[dict[str, str]]] = json.loads(data)
    return table


_ascii_lookalike_cache: dict[str, str] = {}
_LATIN_LETTER_NAME = re.compile(r"LATIN (?:SMALL |CAPITAL )?LETTER (?:SMALL CAPITAL )?([A-Z])")
#: Latin letters Unicode gives no ASCII prototype, though they are drawn as one (Cyrillic ``к``
#: reaches ASCII only through ``ĸ``).
_LATIN_EXTRA = {"ĸ": "k"}


def _latin_letter(ch: str) -> str:
    """The ASCII letter a Latin letter is a variant of, by its name (``ᴋ`` is a small capital K)."""
    if ch in _LATIN_EXTRA:
        return _LATIN_EXTRA[ch]
    m = _LATIN_LETTER_NAME.fullmatch(unicodedata.name(ch, ""))
    return m.group(1).lower() if m else ""


def _ascii_lookalike(ch: str) -> str:
    """The ASCII letter (or, failing that, digit) ``ch`` is confusable with, or ``""``.

    Follows Unicode's confusables two steps, and reads small-capital Latin letters by name,
    because some letters only reach ASCII that way (Cyrillic ``т`` → ``ᴛ``, small capital T).
    """
    found = _ascii_lookalike_cache.get(ch)
    if found is not None:
        return found
    table = _confusables()
    frontier = [ch]
    seen = {ch}
    best = ""
    for _ in range(2):
        nxt: list[str] = []
        for c in frontier:
            for entry in table.get(c, ()):
                alias = entry["c"]
                if len(alias) != 1 or alias in seen:
                    continue
                seen.add(alias)
                if alias.isascii() and alias.isalnum():
                    if alias.isalpha():
                        return _remember(ch, alias.lower())
                    best = best or alias
                elif letter := _latin_letter(alias):
                    return _remember(ch, letter)
                else:
                    nxt.append(alias)
        if best:
            break
        frontier = nxt
    return _remember(ch, best)


def _remember(ch: str, lookalike: str) -> str:
    if len(_ascii_lookalike_cache) < _FOLD_CACHE_MAX:
        _ascii_lookalike_cache[ch] = lookalike
    return lookalike


def _drop_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    kept = "".join(c for c in decomposed if not _in_ranges(ord(c), _DROPPED_MARK_RANGES))
    return unicodedata.normalize("NFC", kept)


def fold_char(ch: str, *, confusables: bool = True) -> str:
    """What one character becomes: a lowercase letter or digit, a leet symbol, ``" "`` or ``""``.

    Several characters for ligatures and the like (``ﬁ`` → ``fi``, ``ß`` → ``ss``); a letter of
    an unspaced script comes back with a space on each side.
    """
    cp = ord(ch)
    if cp < 128:
        return _ASCII[cp]
    if cp in _INVISIBLE or _in_ranges(cp, _DROPPED_MARK_RANGES):
        return ""
    category = unicodedata.category(ch)
    if category == "Cf":  # zero-width, bidi controls, soft hyphen, BOM, tags
        return ""
    if category[0] in "ZC" or ch.isspace():
        return " "
    for base in _BOXED_LETTER_STARTS:
        if base <= cp < base + 26:
            return chr(ord("a") + cp - base)
    if confusables and (lookalike := _ascii_lookalike(ch)):
        return lookalike  # before NFKC and case folding, which turn lunate sigma ϲ (a c) into σ (an o)
    out: list[str] = []
    compatible = unicodedata.normalize("NFKC", ch)
    for c in _drop_marks(compatible.casefold()):
        o = ord(c)
        if o < 128:
            out.append(_ASCII[o])
            continue
        lookalike = _ascii_lookalike(c) if confusables else ""
        if lookalike:
            out.append(lookalike)
        elif c.isalnum():
            out.append(f" {c} " if _in_ranges(o, _UNSPACED_RANGES) else c)
        elif unicodedata.category(c) == "Cf" or _in_ranges(o, _DROPPED_MARK_RANGES):
            continue
        else:
            out.append(" ")
    return "".join(out)


class _FoldTable(dict[int, str]):
    """A ``str.translate`` table that folds each character on first sight and remembers it."""

    def __init__(self, *, confusables: bool) -> None:
        super().__init__(enumerate(_ASCII))
        self.confusables = confusables

    def __missing__(self, cp: int) -> str:
        folded = fold_char(chr(cp), confusables=self.confusables)
        if len(self) < _FOLD_CACHE_MAX:
            self[cp] = folded
        return folded


_TABLES = {True: _FoldTable(confusables=True), False: _FoldTable(confusables=False)}

#: Runs of ``!`` and ``|``: leetspeak inside a word, punctuation at its edge or on their own.
_PUNCT_RUN = re.compile(r"[!|]+")
#: Two or more spaces (patterns that start with a literal scan fastest in ``re``).
_SPACE_RUN = re.compile(r"  +")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_SINGLE = r"[a-z0-9@$!|+]"
_SINGLES = re.compile(rf"(?<![^ ]){_SINGLE}(?: {_SINGLE}){{2,}}(?![^ ])")
_HAS_LEET = re.compile(r"[0-9@$!|+]")
#: A letter next to a leet digit or symbol, or two symbols together: where a leet word may be.
_MIXED_HINT = re.compile(r"[a-z][0-9@$!|+]|[0-9@$!|+][a-z]|[@$][@$!|+]|[!|+][@$]")
_HAS_ASCII_LETTER = re.compile(r"[a-z]")
_SYMBOLS_ONLY = re.compile(r"[@$!|+]*[@$][@$!|+]*")
#: A run of one letter written twice or more (digits are never runs: ``1000`` is a number).
REPEATED_LETTER = re.compile(r"([^\W\d_])\1+")
_REPEATS = REPEATED_LETTER
#: Three single letters in a row, the cheap test before joining them (the text is space-padded).
_SINGLES_HINT = re.compile(rf" {_SINGLE} {_SINGLE} {_SINGLE} ")
_HAS_SYMBOL = re.compile(r"[@$!|+*]")
#: ASCII letters, the only ASCII characters whose runs are collapsed.
_ASCII_LETTER = np.zeros(256, dtype=bool)
_ASCII_LETTER[ord("a") : ord("z") + 1] = True
_ASCII_LETTER[ord("A") : ord("Z") + 1] = True
#: Below this length :data:`REPEATED_LETTER` collapses runs faster than numpy.
_NUMPY_MIN = 64

#: Per output character, the (start, end) of the original characters it came from.
_Maps = tuple[str, list[int], list[int]]


def _join_singles(match: re.Match[str]) -> str:
    return match.group().replace(" ", "")


#: Ways to keep a one-letter word apart from spelled-out letters: at the head, the tail, both.
APART_HEAD, APART_TAIL = 1, 2
_APART_MODES = (APART_HEAD, APART_TAIL, APART_HEAD | APART_TAIL)


def _article_split(letters: str, mode: int) -> tuple[int, int]:
    """How many one-letter words (``a``, ``i``) to keep apart at each end of spelled-out letters."""
    head = 1 if mode & APART_HEAD and letters[0] in "ai" and len(letters) >= 4 else 0
    tail = 1 if mode & APART_TAIL and letters[-1] in "ai" and len(letters) - head >= 4 else 0
    return head, tail


def _join_singles_apart(match: re.Match[str], mode: int) -> str:
    return _join_apart(_join_singles(match), mode)


def _join_apart(letters: str, mode: int) -> str:
    head, tail = _article_split(letters, mode)
    core = letters[head : len(letters) - tail]
    return " ".join([letters[:head], core, letters[len(letters) - tail :]]).strip()


def _around(match: re.Match[str]) -> tuple[str, str]:
    """The characters just before and after a match, a space standing for either end."""
    a, b = match.span()
    text = match.string
    return (text[a - 1] if a else " "), (text[b] if b < len(text) else " ")


def _edge_to_space(match: re.Match[str]) -> str:
    """``!``/``|`` ending a word (``wow!``), or ``|`` starting one (``|idiot``), is punctuation."""
    run = match.group()
    before, after = _around(match)
    if (before != " " and after == " ") or (before == " " and after != " " and "!" not in run):
        return " " * len(run)
    return run


def _drop_lone(match: re.Match[str]) -> str:
    """``!``/``|`` standing alone (``really?!``), once spelled-out letters are joined, goes."""
    return "" if _around(match) == (" ", " ") else match.group()


def _decode_leet_word(word: str) -> str:
    """Read a word as leetspeak if it mixes letters with digits or symbols, or is ``@$$``-like."""
    if _HAS_ASCII_LETTER.search(word) or (len(word) > 1 and _SYMBOLS_ONLY.fullmatch(word)):
        return word.translate(_LEET)
    return word


def _base(text: str, table: _FoldTable) -> tuple[str, dict[int, str]]:
    """The folded, joined text, and the readings that keep ``a``/``i`` apart where they differ."""
    s = text.translate(table)
    if "!" in s or "|" in s:
        s = _PUNCT_RUN.sub(_edge_to_space, s)
    s = " ".join(s.split())
    apart: dict[int, str] = {}
    if _SINGLES_HINT.search(f" {s} "):
        runs = list(_SINGLES.finditer(s))  # found once, spliced up to four ways
        if any(_article_split(_join_singles(m), APART_HEAD | APART_TAIL) != (0, 0) for m in runs):
            for mode in _APART_MODES:
                apart[mode] = _splice(s, runs, partial(_join_singles_apart, mode=mode))
        s = _splice(s, runs, _join_singles)
    if "!" in s or "|" in s:
        s = " ".join(_PUNCT_RUN.sub(_drop_lone, s).split())
        apart = {mode: " ".join(_PUNCT_RUN.sub(_drop_lone, r).split()) for mode, r in apart.items()}
    distinct: dict[int, str] = {}
    for mode, reading in apart.items():
        if reading != s and reading not in distinct.values():
            distinct[mode] = reading
    return s, distinct


def _splice(text: str, matches: list[re.Match[str]], repl: Callable[[re.Match[str]], str]) -> str:
    """``pattern.sub(repl, text)`` for matches already found."""
    out: list[str] = []
    pos = 0
    for m in matches:
        out.append(text[pos : m.start()])
        out.append(repl(m))
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)


def _leet(base: str) -> str:
    """Decode leetspeak word by word, visiting only words where a letter touches a digit or symbol.

    (Or two symbols touch, for ``@$$``.) Words of digits alone, the common case in ordinary
    text, are never visited.
    """
    if not _HAS_LEET.search(base):
        return base
    out: list[str] = []
    pos = 0
    for m in _MIXED_HINT.finditer(base):
        i = m.start()
        if i < pos:
            continue  # inside a word already decoded
        start = base.rfind(" ", 0, i) + 1
        end = base.find(" ", i)
        end = len(base) if end < 0 else end
        out.append(base[pos:start])
        out.append(_decode_leet_word(base[start:end]))
        pos = end
    out.append(base[pos:])
    return "".join(out)


def _plain(base: str) -> str:
    return " ".join(base.translate(_SYMBOLS_TO_SPACE).split()) if _HAS_SYMBOL.search(base) else base


# --- the same steps, tracking where each character came from (run only when offsets are needed)


def _tracked_sub(
    pattern: re.Pattern[str],
    maps: _Maps,
    repl: Callable[[re.Match[str]], tuple[str, list[tuple[int, int]]]],
) -> _Maps:
    """``pattern.sub`` that carries the offset maps; ``repl`` says which input span each output char covers."""
    s, starts, ends = maps
    out: list[str] = []
    new_starts: list[int] = []
    new_ends: list[int] = []
    pos = 0
    for m in pattern.finditer(s):
        a, b = m.span()
        out.append(s[pos:a])
        new_starts.extend(starts[pos:a])
        new_ends.extend(ends[pos:a])
        replacement, spans = repl(m)
        out.append(replacement)
        for i, j in spans:
            new_starts.append(starts[i])
            new_ends.append(ends[j - 1])
        pos = b
    out.append(s[pos:])
    new_starts.extend(starts[pos:])
    new_ends.extend(ends[pos:])
    return "".join(out), new_starts, new_ends


def _tracked_fold(text: str, table: _FoldTable) -> _Maps:
    folded = text.translate(table)
    if text.isascii():  # ASCII folds one character to one character
        return folded, list(range(len(text))), list(range(1, len(text) + 1))
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    last = 0  # how many output characters the last visible character became
    pos = 0
    for m in _NON_ASCII.finditer(text):
        i = m.start()
        if i > pos:  # an ASCII stretch: one character for one
            out.append(text[pos:i].translate(table))
            starts.extend(range(pos, i))
            ends.extend(range(pos + 1, i + 1))
            last = 1
        pos = i + 1
        f = table[ord(text[i])]
        if not f and last and _in_ranges(ord(text[i]), _DROPPED_MARK_RANGES):
            ends[-last:] = [i + 1] * last  # an accent belongs to the letter before it
            continue
        if f:
            last = len(f)
        out.append(f)
        starts.extend([i] * len(f))
        ends.extend([i + 1] * len(f))
    out.append(text[pos:].translate(table))
    starts.extend(range(pos, len(text)))
    ends.extend(range(pos + 1, len(text) + 1))
    return "".join(out), starts, ends


def _one_space(m: re.Match[str]) -> tuple[str, list[tuple[int, int]]]:
    return " ", [m.span()]


def _tracked_collapse_spaces(maps: _Maps) -> _Maps:
    """``" ".join(s.split())`` on a text whose only whitespace is ``" "``, carrying the maps."""
    s, starts, ends = maps
    left = len(s) - len(s.lstrip(" "))
    right = len(s.rstrip(" "))
    if left or right < len(s):
        s, starts, ends = s[left:right], starts[left:right], ends[left:right]
    return _tracked_sub(_SPACE_RUN, (s, starts, ends), _one_space) if "  " in s else (s, starts, ends)


def _tracked_drop_lone(m: re.Match[str]) -> tuple[str, list[tuple[int, int]]]:
    kept = _drop_lone(m)
    return kept, [(i, i + 1) for i in range(m.start(), m.start() + len(kept))]


def _tracked_join(m: re.Match[str]) -> tuple[str, list[tuple[int, int]]]:
    a, b = m.span()
    return _join_singles(m), [(i, i + 1) for i in range(a, b, 2)]


def _tracked_join_apart(m: re.Match[str], mode: int) -> tuple[str, list[tuple[int, int]]]:
    a, b = m.span()
    letters = [(i, i + 1) for i in range(a, b, 2)]
    joined = _join_singles(m)
    head, tail = _article_split(joined, mode)
    spans = letters[:head] + [(a + 1, a + 2)] * head + letters[head : len(letters) - tail]
    spans += [(b - 2, b - 1)] * tail + letters[len(letters) - tail :]
    return _join_apart(joined, mode), spans


def _tracked_base(text: str, table: _FoldTable, *, apart: int = 0) -> _Maps:
    s, starts, ends = _tracked_fold(text, table)
    if "!" in s or "|" in s:
        s = _PUNCT_RUN.sub(_edge_to_space, s)  # one character for one: the maps stay as they are
    maps = _tracked_collapse_spaces((s, starts, ends))
    join = partial(_tracked_join_apart, mode=apart) if apart else _tracked_join
    maps = _tracked_sub(_SINGLES, maps, join)
    if "!" in maps[0] or "|" in maps[0]:
        maps = _tracked_collapse_spaces(_tracked_sub(_PUNCT_RUN, maps, _tracked_drop_lone))
    return maps


def _tracked_view(text: str, *, leet: bool, confusables: bool, apart: int) -> _Maps:
    s, starts, ends = _tracked_base(text, _TABLES[confusables], apart=apart)
    if leet:
        return _leet(s), starts, ends  # one character for one
    return _tracked_collapse_spaces((s.translate(_SYMBOLS_TO_SPACE), starts, ends))


class NormalizedText:
    """A normalised text that can say which original characters any part of it came from.

    ``leet`` says whether leetspeak was decoded (else symbols are punctuation); ``apart``
    whether ``a`` and ``i`` at the head (:data:`APART_HEAD`), the tail (:data:`APART_TAIL`) or
    both ends of spelled-out letters were kept as words of their own (0: neither).
    """

    __slots__ = ("_ends", "_starts", "apart", "confusables", "leet", "original", "text")

    def __init__(self, text: str, original: str, *, leet: bool, confusables: bool, apart: int = 0) -> None:
        self.text = text
        self.original = original
        self.leet = leet
        self.confusables = confusables
        self.apart = apart
        self._starts: list[int] | None = None
        self._ends: list[int] | None = None

    def __repr__(self) -> str:
        return f"NormalizedText({len(self.text)} chars from {len(self.original)})"

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original ``(start, end)`` that normalised characters ``start:end`` came from.

        Characters removed inside the span (zero-width, separators) are part of it; the span
        never starts or ends on a removed character, and an accent stays with its letter.
        """
        if not 0 <= start < end <= len(self.text):
            raise ValueError(f"span {start}:{end} is outside the normalised text of {len(self.text)} chars")
        if self._starts is None or self._ends is None:
            text, self._starts, self._ends = _tracked_view(
                self.original, leet=self.leet, confusables=self.confusables, apart=self.apart
            )
            if text != self.text:  # pragma: no cover - the two paths are tested to agree
                raise AssertionError("normalisation with and without offsets disagree")
        return self._starts[start], self._ends[end - 1]


def normalize(text: str, *, leet: bool = True, confusables: bool = True) -> NormalizedText:
    """Normalise ``text`` (see the module docstring); ``leet=False`` gives the plain reading.

    ``confusables=False`` keeps letters of other scripts as they are (a learned model that
    reads Greek or Cyrillic wants them), at the cost of missing look-alike spellings.
    """
    base = _base(text, _TABLES[confusables])[0]
    return NormalizedText(_leet(base) if leet else _plain(base), text, leet=leet, confusables=confusables)


def normalize_views(text: str, *, confusables: bool = True) -> list[NormalizedText]:
    """Every distinct reading of ``text`` a matcher should look in, the leet reading first.

    Then the plain reading (symbols as punctuation) when it differs, and, when letters were
    spelled out next to a one-letter word (``a f u c k``, ``f u c k i``), the leet readings with
    that ``a`` or ``i`` kept apart at the head, the tail or both: ``a s s`` is ``ass`` but
    ``a f u c k`` is ``a fuck``, and only a matcher can tell which reading holds a listed word.
    """
    base, apart = _base(text, _TABLES[confusables])
    leet = NormalizedText(_leet(base), text, leet=True, confusables=confusables)
    views = [leet]
    plain = _plain(base)
    if plain != leet.text:
        views.append(NormalizedText(plain, text, leet=False, confusables=confusables))
    for mode, reading in apart.items():
        views.append(NormalizedText(_leet(reading), text, leet=True, confusables=confusables, apart=mode))
    return views


def _is_run_letter(ch: str) -> bool:
    """What :data:`REPEATED_LETTER` calls a letter: a word character that is not a digit or ``_``."""
    return ch.isalnum() and not ch.isdecimal()


class RepeatCollapsed:
    """A text with each run of a repeated letter collapsed to one (``fuuuck`` → ``fuck``).

    Keeps where each letter came from, so a matcher can ask how many times a letter was
    written in a row (``ass`` needs two ``s``; ``as`` is not ``ass``) and map a match back.
    Digits are never collapsed (``1000`` stays ``1000``). Long ASCII or Unicode texts are
    collapsed with numpy (the hot path: every checked text); short ones with
    :data:`REPEATED_LETTER`.
    """

    __slots__ = ("_kept", "source", "text")

    def __init__(self, source: str) -> None:
        self.source = source
        #: Where in ``source`` each letter of ``text`` starts; ``None`` while not yet needed.
        self._kept: list[int] | None = None
        if len(source) < _NUMPY_MIN:
            self.text = REPEATED_LETTER.sub(r"\1", source)
            return
        ascii_only = source.isascii()
        codes = np.frombuffer(
            source.encode("ascii" if ascii_only else "utf-32-le"), dtype=np.uint8 if ascii_only else np.uint32
        )
        drop = np.zeros(len(codes), dtype=bool)
        np.equal(codes[1:], codes[:-1], out=drop[1:])
        if ascii_only:
            drop &= _ASCII_LETTER[codes]
        else:
            for i in np.flatnonzero(drop).tolist():
                drop[i] = _is_run_letter(source[i])
        if not drop.any():
            self.text = source
            self._kept = list(range(len(source)))
            return
        kept = codes[~drop]
        self.text = kept.tobytes().decode("ascii" if ascii_only else "utf-32-le")
        self._kept = np.flatnonzero(~drop).tolist()

    def _positions(self) -> list[int]:
        if self._kept is None:
            kept: list[int] = []
            pos = 0
            for m in REPEATED_LETTER.finditer(self.source):
                kept.extend(range(pos, m.start() + 1))
                pos = m.end()
            kept.extend(range(pos, len(self.source)))
            self._kept = kept
        return self._kept

    def run_length(self, index: int) -> int:
        """How many times the letter at ``index`` of :attr:`text` was written in a row."""
        kept = self._positions()
        following = kept[index + 1] if index + 1 < len(kept) else len(self.source)
        return following - kept[index]

    def run_lengths(self, start: int, end: int) -> list[int]:
        """:meth:`run_length` of each letter of ``text[start:end]``."""
        kept = self._positions()
        bounds = kept[start : end + 1]
        if len(bounds) <= end - start:
            bounds.append(len(self.source))
        return [b - a for a, b in pairwise(bounds)]

    def runs(self) -> list[tuple[int, int]]:
        """``(index in text, length)`` of every letter written more than once in a row."""
        return [(i, n) for i, n in enumerate(self.run_lengths(0, len(self.text))) if n > 1]

    def source_index(self, index: int) -> int:
        """Where the letter at ``index`` of :attr:`text` starts in :attr:`source`."""
        return self._positions()[index]

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of :attr:`source` that ``text[start:end]`` came from, whole runs included."""
        return self.source_index(start), self.source_index(end - 1) + self.run_length(end - 1)


def collapse_repeats(text: str) -> RepeatCollapsed:
    """Collapse runs of a repeated letter, keeping their lengths (see :class:`RepeatCollapsed`)."""
    return RepeatCollapsed(text)
