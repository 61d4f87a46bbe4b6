"""Language coverage: which parts of a text are in which language, and who may judge them.

The learned detectors (content filters and prompt attacks, denied topics, grounding) read
English only (:attr:`~steward.detectors.base.Detector.languages`); a prompt in another
language slips past them or, worse, is misread (Bengali and Chinese prompts used to come
out as child-safety content). So the guard identifies the language of every piece of a
text once per request (:class:`TextLanguages`, carried on the
:class:`~steward.detectors.base.DetectionRequest`), gives each learned detector a copy of
the text in which the pieces it cannot read are blanked, and skips it when nothing it can
read remains. What the learned detectors did not read is reported here, as the policy's
``languages`` section says: ``BLOCK`` it, ``REVIEW`` it (reported with action NONE, so it
is recorded and can be queued for a person), or ``ALLOW`` it (no report: the learned
filters simply do not see it). The finding is a content-policy finding of type
``UNSUPPORTED_LANGUAGE`` whose score (0–1) is how sure the guess is that the piece is in
none of the supported languages; ``details`` names the detected language.

Detection is offline and cheap. E-mail addresses, URLs, numbers, code identifiers and other
tokens that are not words of any language are set aside first (``jane.doe@example.com``
made "Email jane.doe@example.com the report" Dutch), and letters in disguise (full-width,
mathematical, small capitals, Greek or Cyrillic look-alikes inside Latin words) are read as
the Latin letters they show: an obfuscated English attack is English, and must reach the
English detectors. Then, per piece:

1. a script count: a piece written mostly in a non-Latin script (Cyrillic, Greek, Arabic,
   Hebrew, Devanagari, Bengali, Han, Kana, Hangul, Thai, ...; dense scripts weighted as
   below) whose languages are not supported is decided without running any model. A
   script's vowel signs and other combining marks count as its letters, in the share and
   in the letter count alike, so the share never exceeds 1;
2. when English is supported, a piece whose words are at least :data:`ENGLISH_FUNCTION_SHARE`
   English function words ("the", "and", "with", ...; none of them common words of
   another language) is English without running the model: most traffic is, and the
   model is the detector's main cost;
3. otherwise ``py3langid`` (BSD-3-Clause; its model ships inside the package and it never
   downloads) ranks 142 languages, after capitalised words (mostly names) are set aside;
   the piece counts as unsupported when the supported languages together get less than
   :data:`SUPPORTED_MASS_MIN` of the probability. A piece that is mostly names, or whose
   ranking is spread thin (under :data:`MODEL_SURE_MIN` on the three likeliest languages:
   code, lists of names), is not judged. Mixed signals (slang, code in a sentence) leave
   some mass on English and pass.

A piece with fewer than :data:`MIN_LETTERS` letters left is not judged: a greeting, a name
or an e-mail address is too short to tell, and a piece that is not judged is read by every
detector. A Han, Kana or Hangul character counts as :data:`DENSE_SCRIPT_WEIGHT` letters,
because it carries a syllable or a word: a 19-character Chinese instruction is a whole
sentence, not a greeting, and must not pass unjudged.

Pieces: sentences are grouped into runs of one script (a Chinese paragraph inside an English
document is a piece of its own, located to the sentence); a run too short to judge joins its
neighbour, so scattering short foreign fragments between English ones does not hide them;
runs longer than :data:`CHUNK_CHARS` are cut at sentence ends. A Latin-script paragraph in
another language inside an English document is found within a piece or so.
"""

from __future__ import annotations

import json
import mmap
import os
import re
import shutil
import tempfile
import unicodedata
from array import array
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import re2

from steward.assessment import Finding, PolicyKind
from steward.detectors.base import DetectionRequest, Detector
from steward.errors import DetectorUnavailableError
from steward.policy.schema import Policy, UnsupportedLanguageAction
from steward.rules import rule_key
from steward.text.normalize import fold_char

__all__ = [
    "CHUNK_CHARS",
    "DENSE_SCRIPT_WEIGHT",
    "MIN_LETTERS",
    "MODEL_SURE_MIN",
    "SUPPORTED_MASS_MIN",
    "UNSUPPORTED_MIN",
    "LanguageDetector",
    "LanguageGuess",
    "LanguagePiece",
    "TextLanguages",
    "guess_language",
    "preload",
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
#: py3langid must put at least this much probability on its three likeliest languages for a
#: piece to be judged: spread thin over dozens, it cannot tell (code, names, lists), and
#: "none of them English" would be noise ("Recommend a Sony WH-1000XM5 alternative" was
#: Romanian with 0.06 on its top three). Sentences in a language, even short ones and close
#: relatives (Croatian, Norwegian), scored over 0.6 in the tests written for this.
MODEL_SURE_MIN = 0.5
#: A piece whose guess is at least this sure that it is in none of a set of languages is
#: reported as unsupported, and blanked for a detector that reads only that set.
UNSUPPORTED_MIN = 1.0 - SUPPORTED_MASS_MIN
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

#: Non-Latin scripts, their code points, and the py3langid languages written in them.
_SCRIPT_RANGES = (
    ("Cyrillic", r"\u0400-\u052F", "ru uk bg mk sr be kk ky mn tg tt ba"),
    ("Greek", r"\u0370-\u03FF\u1F00-\u1FFF", "el grc"),
    ("Arabic", r"\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF", "ar fa ur ps ug ku sdh ary arz"),
    ("Hebrew", r"\u0590-\u05FF", "he hbo"),
    ("Devanagari", r"\u0900-\u097F", "hi mr ne sa gom"),
    ("Bengali", r"\u0980-\u09FF", "bn as"),
    ("Han", r"\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF", "zh ja wuu yue"),
    ("Kana", r"\u3040-\u30FF\uFF66-\uFF9F", "ja"),
    ("Hangul", r"\u1100-\u11FF\u3130-\u318F\uAC00-\uD7AF", "ko"),
    ("Thai", r"\u0E00-\u0E7F", "th"),
    ("Georgian", r"\u10A0-\u10FF", "ka"),
    ("Armenian", r"\u0530-\u058F", "hy"),
    ("Tamil", r"\u0B80-\u0BFF", "ta"),
)


def _ranges(ranges: str) -> list[tuple[int, int]]:
    return [(int(lo, 16), int(hi, 16)) for lo, hi in re.findall(r"\\u([0-9A-F]{4})-\\u([0-9A-F]{4})", ranges)]


def _marks() -> str:
    """The combining marks of the scripts above and of Latin (``e`` + U+0301), as a class body.

    Vowel signs, viramas and tone marks (Thai, Bengali, Devanagari, Tamil, Arabic harakat)
    are part of every word but are not letters to Python's ``re``; Han and Hangul have none.
    """
    spans = [(0x300, 0x36F)]
    for name, ranges, _ in _SCRIPT_RANGES:
        if name not in ("Han", "Hangul"):
            spans.extend(_ranges(ranges))
    marks = [c for lo, hi in spans for c in range(lo, hi + 1) if unicodedata.category(chr(c))[0] == "M"]
    runs: list[list[int]] = []
    for c in marks:
        if runs and runs[-1][1] == c - 1:
            runs[-1][1] = c
        else:
            runs.append([c, c])
    return "".join(f"\\u{lo:04X}" + (f"-\\u{hi:04X}" if hi > lo else "") for lo, hi in runs)


_MARK = re.compile(f"[{_marks()}]")
#: A letter or a combining mark.
_LETTER = re.compile(rf"[^\W\d_]|{_MARK.pattern}")
#: A letter outside ASCII (what :data:`_LETTER`'s first branch matches there).
_NON_ASCII_LETTER = re.compile(r"[^\x00-\x7F\W\d_]")
#: Every byte but the ASCII letters: deleted from UTF-8, what is left counts those letters.
_NOT_ASCII_LETTER_BYTES = bytes(b for b in range(256) if not (65 <= b <= 90 or 97 <= b <= 122))


def _count_letters(text: str) -> int:
    """How many characters of ``text`` :data:`_LETTER` matches (counted faster than findall).

    ASCII letters are counted on the UTF-8 bytes (a C loop; multi-byte characters use only
    bytes over 0x7F, which are deleted with the rest), the few others by two scans.
    """
    letters = len(text.encode("utf-8", "surrogatepass").translate(None, _NOT_ASCII_LETTER_BYTES))
    if text.isascii():
        return letters
    return letters + len(_NON_ASCII_LETTER.findall(text)) + len(_MARK.findall(text))


#: The languages written in each script.
_SCRIPTS = {name: frozenset(langs.split()) for name, _, langs in _SCRIPT_RANGES}
#: Private-use characters that stand for "a letter of script i" in :func:`_script_codes`.
_CODE_BASE = 0xE000
_CODES = {name: chr(_CODE_BASE + i) for i, (name, _, _) in enumerate(_SCRIPT_RANGES)}
#: Any character of a script above: a text without one has no script codes to count, and the
#: translation through :func:`_script_codes` (slow outside ASCII) is skipped.
_SCRIPT_CHAR = re.compile("[" + "".join(ranges for _, ranges, _ in _SCRIPT_RANGES) + "]")


@lru_cache(maxsize=1)
def _script_codes() -> dict[int, str]:
    """A ``str.translate`` table turning each letter of a script above into that script's code.

    Only characters :data:`_LETTER` matches get a code (and private-use characters that look
    like codes become spaces), so a script never counts more characters than the text has
    letters: its share is at most 1 by construction. Built on first use (about 10 ms).
    """
    table: dict[int, str] = {_CODE_BASE + i: " " for i in range(len(_CODES))}
    for name, ranges, _ in _SCRIPT_RANGES:
        for lo, hi in _ranges(ranges):
            # One findall over the block (every match is one character) rather than a match per
            # code point: measured 37 ms -> 27 ms, paid by every process (each scan worker).
            letters = _LETTER.findall("".join(map(chr, range(lo, hi + 1))))
            table.update(dict.fromkeys(map(ord, letters), _CODES[name]))
    return table


#: Scripts whose characters carry a syllable or a word (see :data:`DENSE_SCRIPT_WEIGHT`).
_DENSE_SCRIPTS = ("Han", "Kana", "Hangul")
_WORD = re.compile(r"\b\w[\w'’-]*")
#: A run of printable ASCII that is not a word of any language: it contains a digit or a
#: symbol words do not ("@", "_", "/", "=", "#", ...), a dot between letters (a domain, a
#: file name, ``os.path``), a lowercase letter followed by a capital (``getUserName``,
#: ``iPhone``) or a call (``print(``). The lazy prefix tries each position once, so the
#: pattern is linear in the length of a run. This is the definition (the tests hold the fast
#: form to it); :data:`_NOT_A_WORD_BYTES` is what runs.
_SYMBOL = r"[0-9@_/\\=<>{}\[\]|~^#$%*+`]"
_NOT_A_WORD = re.compile(
    rf"(?<![!-~])[!-~]*?(?:{_SYMBOL}|[A-Za-z0-9]\.[A-Za-z0-9]|[a-z][A-Z]|[A-Za-z0-9]\()[!-~]*"
)


def _latin1() -> re2.Options:
    """RE2 options reading each byte as one character, so any bytes (a lone surrogate's too) are valid input."""
    options = re2.Options()
    options.encoding = re2.Options.Encoding.LATIN1
    return options


#: What :data:`_NOT_A_WORD` blanks, found by RE2 in the text's UTF-8 bytes (read one byte a
#: character, Latin-1). A run of ``[!-~]`` ends at any other character, so the leftmost match
#: of "run characters, a sign, run characters" starts where the first run holding a sign
#: starts and its greedy tail ends where that run ends: the same runs as the look-behind
#: pattern, without it. Every byte of such a run is ASCII, so blanking the matched bytes blanks
#: the same characters. Python's ``re`` tried the look-behind at every position of a text (and
#: a first search for a sign, to skip texts without one, cost a third as much again); RE2 reads
#: the bytes once: the blanking took 0.19 CPU-s over the scan benchmark's 4 MB, now 0.08.
_NOT_A_WORD_BYTES = re2.compile(
    rf"[!-~]*(?:{_SYMBOL}|[A-Za-z0-9]\.[A-Za-z0-9]|[a-z][A-Z]|[A-Za-z0-9]\()[!-~]*".encode("ascii"), _latin1()
)
#: A character outside ASCII: the only ones :class:`_Latinize` and :data:`_MIXED_WORD` change.
_NON_ASCII = re.compile(r"[^\x00-\x7F]")
#: Labels py3langid gives to informal text in a supported language: Nigerian Pidgin for
#: chatty English and for code.
_ALIASES: dict[str, tuple[str, ...]] = {"en": ("pcm",)}
#: Where a sentence (or a line) ends: the places a text may be cut into pieces.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])\s*|\s*\n\s*")
#: Pieces' script classes: Han and Kana form one (Japanese mixes them in every sentence).
_CLASS = {"Kana": "Han"}
_LATIN = "Latin"


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    """The most likely language of a text and how sure the guess is that it is unsupported."""

    language: str
    #: Probability that the text is in none of the supported languages (0–1).
    unsupported: float
    #: ``script`` (decided by the writing system), ``function-words`` (plainly English) or
    #: ``model`` (py3langid).
    method: str

    def __post_init__(self) -> None:
        # A probability by construction; this is the last guard, not the fix.
        if not 0.0 <= self.unsupported <= 1.0:
            raise ValueError(f"unsupported must be a probability, not {self.unsupported}")


#: The guess for a piece of plain English (by its function words), which most pieces are: one
#: frozen instance rather than a dataclass built and checked for every cell of a scan.
_PLAIN_ENGLISH = LanguageGuess(language="en", unsupported=0.0, method="function-words")


@dataclass(frozen=True, slots=True)
class LanguagePiece:
    """A piece of a text (character offsets) and its language, judged against a set of languages."""

    start: int
    end: int
    #: ``None`` when the piece is too short to judge.
    guess: LanguageGuess | None

    def outside(self) -> bool:
        """Whether the piece is in none of the languages it was judged against."""
        return self.guess is not None and self.guess.unsupported >= UNSUPPORTED_MIN


@lru_cache(maxsize=1)
def _identifier() -> Any:
    """py3langid's identifier with normalised probabilities, loaded once per process.

    From the decompressed copy under the data directory (:func:`load_identifier`) when it can
    be kept there, otherwise from the package's compressed file.
    """
    try:
        from steward.settings import data_dir

        cache: Path | None = data_dir() / "cache"
    except Exception:  # a bad STEWARD_* variable is refused where it is used, not here
        cache = None
    return load_identifier(cache)


def load_identifier(cache: Path | None) -> Any:
    """py3langid's identifier, its model read from a decompressed copy in ``cache`` when there is one.

    The package ships its model LZMA-compressed (4.6 MB); decompressing it costs about 0.6 s of
    CPU in every process that needs the model, which was a third of what ``steward scan``
    spent on 4 MB and is paid again by each worker. The decompressed arrays (about 96 MB) are
    written once under ``cache``, in a folder named after the model file's size and time, and
    later processes read them (tens of milliseconds; the two large tables are memory-mapped,
    so workers share their pages). The arrays are the package's own, the feature table widened
    from float16 to float32 (exactly: see :func:`_write_model`), so every ranking is the same.
    When ``cache`` is ``None`` or cannot be written, the compressed file is read as before.
    """
    try:
        from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier
        from py3langid.modelio import load_model
    except ImportError as exc:  # pragma: no cover - py3langid is a core dependency
        raise DetectorUnavailableError("py3langid is not installed: pip install py3langid") from exc
    import numpy as np

    source = Path(MODEL_DIR) / MODEL_FILE
    folder = None
    if cache is not None:
        stat = source.stat()
        folder = cache / f"py3langid-{stat.st_size}-{stat.st_mtime_ns}"
        model = _read_model(folder)
        if model is not None:
            ptc, pc, classes, nextmove, row, output = model
            return LanguageIdentifier(ptc, pc, classes, nextmove, output, norm_probs=True, tk_row=row)
        shutil.rmtree(folder, ignore_errors=True)  # damaged (copies appear whole, by renaming)
    model = load_model(source)
    if folder is not None:
        _write_model(folder, model)
    ptc, pc, classes, nextmove, row, output = model
    return LanguageIdentifier(
        np.asarray(ptc, dtype=np.float32),
        np.asarray(pc),
        classes,
        nextmove,
        output,
        norm_probs=True,
        tk_row=row,
    )


def _read_model(folder: Path) -> tuple[Any, ...] | None:
    """The arrays :func:`_write_model` kept in ``folder``, or ``None`` when they are not all there."""
    import numpy as np

    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        nextmove = _mapped(folder / "nextmove.bin", meta["nextmove"])
        row = array(meta["row"])
        row.frombytes((folder / "row.bin").read_bytes())
        # A plain array over the mapped pages: ``np.memmap``'s own ``__getitem__`` (Python) cost
        # about 30 µs on every text the model ranks, for the same numbers.
        ptc = np.asarray(np.load(folder / "ptc.npy", mmap_mode="r", allow_pickle=False))
        pc = np.load(folder / "pc.npy", allow_pickle=False)
        output = np.load(folder / "out_feat.npy", allow_pickle=False).tolist()
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if len(row) != len(output) or ptc.shape[1] != len(meta["classes"]) or ptc.dtype != np.float32:
        return None  # a float16 table is an older copy's (see _write_model)
    return ptc, pc, list(meta["classes"]), nextmove, row, output


def _mapped(path: Path, typecode: str) -> Sequence[int]:
    """The numbers in ``path`` (native ``typecode``, as ``array.tofile`` wrote them), memory-mapped.

    py3langid's state table (39 MB) is only indexed, one entry a byte of text, and a
    memoryview indexes as fast as an ``array``: mapped, it is not read and copied in every
    process (about 0.045 CPU-s each), and the scan's workers share its pages instead of each
    holding a private copy.
    """
    with path.open("rb") as file:
        mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
    view: Any = memoryview(mapped)  # typeshed knows ``cast`` only for literal type codes
    numbers: Sequence[int] = view.cast(typecode)
    return numbers


def _write_model(folder: Path, model: tuple[Any, ...]) -> None:
    """Keep ``model`` (as py3langid's ``load_model`` returns it) in ``folder``; quietly skipped
    when it cannot be written (a read-only data directory): the next process decompresses again.

    Written to a fresh folder beside it and renamed, so a reader never sees half a model and
    two processes writing at once leave one whole copy.
    """
    import numpy as np

    ptc, pc, classes, nextmove, row, output = model
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=folder.parent, prefix=".writing-") as tmp:
            part = Path(tmp)
            # Kept as float32, the type py3langid's scoring multiplies in: the package's float16
            # table was cast again for every text ranked (the rows a text visits, about two
            # thirds of the time of scoring it). The cast is exact, so every score is the same.
            np.save(part / "ptc.npy", np.asarray(ptc, dtype=np.float32), allow_pickle=False)
            np.save(part / "pc.npy", np.asarray(pc), allow_pickle=False)
            np.save(part / "out_feat.npy", np.asarray(output, dtype=np.int64), allow_pickle=False)
            (part / "nextmove.bin").write_bytes(nextmove.tobytes())
            (part / "row.bin").write_bytes(row.tobytes())
            meta = {"classes": list(classes), "nextmove": nextmove.typecode, "row": row.typecode}
            (part / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
            os.replace(part, folder)  # leaves the temporary folder empty
            part.mkdir()  # for TemporaryDirectory to remove
    except OSError:
        return


def preload() -> None:
    """Load py3langid now rather than on the first text that needs it."""
    _identifier()


class _Latinize(dict[int, str]):
    """A ``str.translate`` table: Latin letters in disguise become the ASCII letter they show.

    Full-width, mathematical and circled letters (NFKC) and small capitals (by name) are
    English written oddly, not another language; left alone they read as Cantonese or
    Amharic, and the English-only detectors would not see an obfuscated attack. One
    character each way, so offsets hold; accented letters (``é``) are left alone.
    """

    def __missing__(self, cp: int) -> str:
        ch = chr(cp)
        compatible = unicodedata.normalize("NFKC", ch)
        if len(compatible) == 1 and compatible.isascii() and compatible.isalpha():
            latin = compatible
        elif m := _LATIN_VARIANT.fullmatch(unicodedata.name(ch, "")):
            latin = m.group(1).lower()
        else:
            latin = ch
        if len(self) < _LATINIZE_CACHE_MAX:
            self[cp] = latin
        return latin


_LATIN_VARIANT = re.compile(r"LATIN (?:SMALL |CAPITAL )?LETTER (?:SMALL CAPITAL )?([A-Z])")
_LATINIZE_CACHE_MAX = 100_000
_LATINIZE = _Latinize()
#: A word mixing Latin letters with Greek or Cyrillic ones (``рrеvіоus``): a look-alike
#: disguise, since real Greek and Cyrillic words do not borrow Latin letters. Starts only at
#: the start of a run of such letters, so a long run is scanned once.
_MIXED_WORD = re.compile(
    r"(?<![A-Za-z\u00C0-\u024F\u0370-\u052F])[A-Za-z\u00C0-\u024F\u0370-\u052F]*?"
    r"(?:[A-Za-z\u00C0-\u024F][\u0370-\u052F]|[\u0370-\u052F][A-Za-z\u00C0-\u024F])"
    r"[A-Za-z\u00C0-\u024F\u0370-\u052F]*"
)


def _unmix(match: re.Match[str]) -> str:
    """A mixed-script word with each Greek or Cyrillic look-alike read as its Latin letter."""
    out = []
    for ch in match.group():
        folded = fold_char(ch) if "\u0370" <= ch <= "\u052f" else ch
        out.append(folded if len(folded) == 1 and folded.isascii() and folded.isalpha() else ch)
    return "".join(out)


def _words_only(text: str) -> str:
    """``text`` as language identification reads it (same length, so offsets hold).

    Disguised Latin letters are read as plain ones (:class:`_Latinize`, :data:`_MIXED_WORD`),
    and e-mail addresses, URLs, numbers and code are blanked: they are words of no language.
    """
    if not text.isascii():
        # Translating and searching only when a character could change: both are slow outside
        # ASCII, and most texts have a few curly quotes or accents and no disguise at all.
        others = set(_NON_ASCII.findall(text))
        if any(_LATINIZE[ord(ch)] != ch for ch in others):
            text = text.translate(_LATINIZE)
        if any("\u0370" <= ch <= "\u052f" for ch in others):  # Latinizing makes none of these
            text = _MIXED_WORD.sub(_unmix, text)
    return _blank_not_words(text)


def _blank_not_words(text: str) -> str:
    """``text`` with every run :data:`_NOT_A_WORD` matches made spaces, found by :data:`_NOT_A_WORD_BYTES`."""
    data = text.encode("utf-8", "surrogatepass")
    blanked = _blank_bytes(data)
    return text if blanked is data else blanked.decode("utf-8", "surrogatepass")


def _blank_bytes(data: bytes) -> bytes:
    """UTF-8 ``data`` with every match of :data:`_NOT_A_WORD_BYTES` made spaces; ``data`` itself when none."""
    out = None
    for match in _NOT_A_WORD_BYTES.finditer(data):
        if out is None:
            out = bytearray(data)
        start, end = match.span()
        out[start:end] = b" " * (end - start)
    return data if out is None else bytes(out)


@dataclass(frozen=True, slots=True)
class _Script:
    """Letters of a piece (dense scripts weighted) and its main non-Latin script, if any."""

    letters: int
    weighted: int
    script: str | None
    share: float

    @property
    def cls(self) -> str | None:
        """The piece's script class, ``None`` when it has no letters."""
        if self.script is not None and self.share >= _SCRIPT_SHARE_MIN:
            return _CLASS.get(self.script, self.script)
        return _LATIN if self.letters else None


def _script(
    text: str,
    start: int = 0,
    end: int | None = None,
    codes: str | None = None,
    present: dict[str, str] | None = None,
) -> _Script:
    """Count the letters of ``text[start:end]`` and find its main non-Latin script.

    ``codes`` is ``text`` through :func:`_script_codes` and ``present`` the scripts (and
    codes) found in it, when the caller made them once for many pieces. Shares are of weighted letters (a Han, Kana or Hangul character counts as
    :data:`DENSE_SCRIPT_WEIGHT`, as against :data:`MIN_LETTERS`): "Please translate:" before
    two Chinese sentences does not make them a mixed text.
    """
    end = len(text) if end is None else end
    letters = _count_letters(text[start:end])
    if not letters:
        return _Script(0, 0, None, 0.0)
    if codes is None:
        if text.isascii() or not _SCRIPT_CHAR.search(text, start, end):
            return _Script(letters, letters, None, 0.0)
        codes = text.translate(_script_codes())
    counts = {
        name: codes.count(code, start, end) for name, code in (_CODES if present is None else present).items()
    }
    if not any(counts.values()):
        return _Script(letters, letters, None, 0.0)
    weighted = letters + (DENSE_SCRIPT_WEIGHT - 1) * sum(counts.get(name, 0) for name in _DENSE_SCRIPTS)
    for name in _DENSE_SCRIPTS:
        if name in counts:
            counts[name] *= DENSE_SCRIPT_WEIGHT
    script = max(counts, key=lambda name: counts[name])
    share = counts[script] / weighted
    if script in ("Han", "Kana") and counts.get("Kana"):
        # Japanese mixes kanji and kana in every sentence: together they are its script.
        script, share = "Kana", (counts.get("Han", 0) + counts["Kana"]) / weighted
    return _Script(letters, weighted, script, share)


#: :data:`_WORD`'s characters outside ASCII that :func:`_count_function_words` reads as ASCII.
_APOSTROPHE = "’"
_APOSTROPHE_BYTES = _APOSTROPHE.encode("utf-8")
#: UTF-8 bytes through ``bytes.translate``: ASCII letters lowercased, digits, ``_``, ``'`` and
#: ``-`` kept (the characters of :data:`_WORD`), everything else a space.
_WORD_BYTES = bytes(
    b + 32 if 65 <= b <= 90 else b if (97 <= b <= 122 or 48 <= b <= 57 or b in b"_'-") else 32
    for b in range(256)
)
#: A run that starts with ``'`` or ``-`` (after a space), and what follows them.
_EDGE_RUN = re.compile(rb" ['-]+([^ ]*)")
_FUNCTION_WORD_BYTES = frozenset(w.encode("ascii") for w in _ENGLISH_FUNCTION_WORDS)
#: A word character (the class :data:`_WORD` is built from).
_WORD_CHAR = re.compile(r"\w")
#: A match of :data:`_WORD` that starts with a capital, in a text whose word characters are
#: all ASCII (a plain sample's, see :func:`_plain_sample`), with the ``'’-`` that lead its run
#: (group 1). :data:`_WORD` finds one match per maximal run of ``[\w'’-]`` that holds a word
#: character, starting at the run's first one; so a capitalised match is a run not preceded by
#: a run character, its leading ``'’-``, then ``[A-Z]``. Replacing only these (the rest of the
#: text is left as it is) costs a Python call per name rather than one per word: a third of
#: the time of setting names aside, the same text.
_ASCII_NAME = re.compile(r"(?<![\w'’-])(['’-]*)[A-Z][\w'’-]*")


def _name_blank(match: re.Match[str]) -> str:
    """A capitalised word made one space, the ``'’-`` before it kept (see :data:`_ASCII_NAME`)."""
    return match.group(1) + " "


def _count_function_words(text: str) -> tuple[int, int] | None:
    """``(English function words, words)`` of ``text`` as ``_WORD.findall(text.lower())`` counts
    them, or ``None`` when ``text`` has a character outside ASCII that could be part of a word.

    The same count without the regex (about three times faster; language identification was
    the largest part of a data-set scan): every maximal run of ``[\\w'’-]`` characters holding a
    word character is one match of :data:`_WORD`, the run without its leading ``'’-``. So the
    text's bytes are lowercased and every other character becomes a space in one
    ``bytes.translate``, ``split`` gives the runs, and only runs starting with ``'`` or ``-``
    (few) are looked at one by one. Outside ASCII only ``’`` (read as ``'``) and characters
    that are neither word characters nor changed by ``lower`` (curly quotes, dashes, symbols)
    are allowed: they are separators like a space. Anything else is left to the regex.
    """
    if text.isascii():
        data = text.encode("ascii")
    else:
        for ch in set(_NON_ASCII.findall(text)):
            if ch != _APOSTROPHE and (ch.lower() != ch or _WORD_CHAR.match(ch)):
                return None
        data = text.encode("utf-8", "surrogatepass")
    return _count_function_word_bytes(data)


def _count_function_word_bytes(data: bytes) -> tuple[int, int]:
    """:func:`_count_function_words` of a text given as its UTF-8 ``data``, every character of
    which outside ASCII is ``’`` or a separator (the text :func:`_count_function_words` counts).
    """
    if _APOSTROPHE_BYTES in data:
        data = data.replace(_APOSTROPHE_BYTES, b"'")
    data = b" " + data.translate(_WORD_BYTES)
    runs = data.split()
    words = len(runs)
    function = sum(map(_FUNCTION_WORD_BYTES.__contains__, runs))
    if b" '" in data or b" -" in data:
        for rest in _EDGE_RUN.findall(data):
            if not rest:
                words -= 1  # only apostrophes and hyphens: no word
            elif rest in _FUNCTION_WORD_BYTES:
                function += 1
    return function, words


class _Sample:
    """What is measured of one piece once, whatever set of languages it is judged against."""

    __slots__ = ("_data", "_function_share", "_ranking", "_script", "_text")

    def __init__(self, words: str, script: _Script | None = None, data: bytes | None = None) -> None:
        self._text = words
        self._script = _script(words) if script is None else script
        #: ``words`` in UTF-8 when every character of it outside ASCII is inert (see :func:`_plain_sample`).
        self._data = data
        self._function_share: float | None = None
        self._ranking: list[tuple[str, float]] | None = None

    def judge(self, supported: frozenset[str]) -> LanguageGuess | None:
        """The piece's language judged against ``supported``; ``None`` when too short to judge."""
        script = self._script
        if script.weighted < MIN_LETTERS:
            return None
        if script.script is not None and script.share >= _SCRIPT_SHARE_MIN:
            languages = _SCRIPTS[script.script]
            if not languages & supported:
                return LanguageGuess(
                    language=sorted(languages)[0] if len(languages) == 1 else script.script,
                    unsupported=script.share,
                    method="script",
                )
        if "en" in supported and self._english_function_share() >= ENGLISH_FUNCTION_SHARE:
            return _PLAIN_ENGLISH
        ranking = self._rank()
        if ranking is None or sum(p for _, p in ranking[:3]) < MODEL_SURE_MIN:
            return None
        accepted = supported | {alias for lang in supported for alias in _ALIASES.get(lang, ())}
        top = ranking[0][0]
        if top in accepted:
            return LanguageGuess(language=top, unsupported=0.0, method="model")
        supported_mass = sum(p for lang, p in ranking if lang in accepted)
        return LanguageGuess(
            language=top, unsupported=min(1.0, max(0.0, 1.0 - supported_mass)), method="model"
        )

    def _english_function_share(self) -> float:
        if self._function_share is None:
            if self._data is not None:
                counted: tuple[int, int] | None = _count_function_word_bytes(self._data)
            else:
                counted = _count_function_words(self._text)
            if counted is None:
                words = _WORD.findall(self._text.lower())
                counted = sum(map(_ENGLISH_FUNCTION_WORDS.__contains__, words)), len(words)
            function, words_n = counted
            self._function_share = function / words_n if words_n else 0.0
        return self._function_share

    def _rank(self) -> list[tuple[str, float]] | None:
        """py3langid's ranking of the piece without its names; ``None`` when it is mostly names."""
        if self._ranking is None:
            # Capitalised words are mostly names, which say little about the language a text is
            # written in ("Send it to Jean-Pierre at Société Générale" is English); a piece that
            # is little else ("Install Kubernetes on Ubuntu") is too short to judge.
            if self._data is not None:
                without_names = _ASCII_NAME.sub(_name_blank, self._text)
            else:
                without_names = _WORD.sub(lambda m: " " if m.group()[0].isupper() else m.group(), self._text)
            enough = _count_letters(without_names) >= MIN_LETTERS // 2
            self._ranking = _rank(_identifier(), without_names) if enough else []
        return self._ranking or None


def _rank(identifier: Any, text: str) -> list[tuple[str, float]]:
    """``identifier.rank(text)``, the same list, sorted by numpy rather than in Python.

    py3langid's ``rank`` builds a dict of its 142 labels' scores and sorts it as Python pairs,
    about a quarter of the time of ranking a piece; here the score of each label's first
    column (the one its ``rank`` keeps) is taken by index and put in order by a stable sort
    of the negated scores, which keeps tied labels in column order as ``sorted(reverse=True)``
    does. Identifiers without the scoring method this relies on rank as before.
    """
    decide = getattr(identifier, "_decide", None)
    if decide is None:
        return identifier.rank(text)  # type: ignore[no-any-return]
    labels, columns = _rank_columns(tuple(identifier.nb_classes))
    scores = decide(text)[columns]
    order = (-scores).argsort(kind="stable")
    return list(zip(labels[order].tolist(), scores[order].tolist(), strict=True))


@lru_cache(maxsize=4)
def _rank_columns(classes: tuple[str, ...]) -> tuple[Any, Any]:
    """Each distinct label (as a numpy array, in order of first column) and its first column."""
    import numpy as np

    first: dict[str, int] = {}
    for i, label in enumerate(classes):
        first.setdefault(label, i)
    return np.array(list(first), dtype=object), np.array(list(first.values()), dtype=np.intp)


def guess_language(text: str, supported: frozenset[str]) -> LanguageGuess | None:
    """The language of ``text`` (as one piece) judged against ``supported``; ``None`` when too short to judge."""
    return (_plain_sample(text) or _Sample(_words_only(text))).judge(supported)


class _Inert(dict[str, bool]):
    """Whether a character outside ASCII changes nothing that language identification measures.

    Such a character (a curly quote, a dash, a euro sign; ``’`` too, which is read as ``'``) is
    no disguised letter (:class:`_Latinize`, :data:`_MIXED_WORD`), no letter or mark, no
    script's, and no part of a word: a text of ASCII and these is measured on its UTF-8
    bytes alone (:func:`_plain_sample`). Remembered per character, as :class:`_Latinize` is.
    """

    def __missing__(self, ch: str) -> bool:
        inert = (
            _LATINIZE[ord(ch)] == ch
            and not "\u0370" <= ch <= "\u052f"
            and not _LETTER.match(ch)
            and not _SCRIPT_CHAR.match(ch)
            and (ch == _APOSTROPHE or (ch.lower() == ch and not _WORD_CHAR.match(ch)))
        )
        if len(self) < _LATINIZE_CACHE_MAX:
            self[ch] = inert
        return inert


_INERT = _Inert()


def _plain_sample(text: str) -> _Sample | None:
    """``text``'s sample measured on its UTF-8 bytes, encoded once; ``None`` unless every
    character of it outside ASCII is inert (:class:`_Inert`).

    Most cells of a data set are such text (English with curly quotes). What
    :func:`_words_only`, :func:`_script` and :func:`_count_function_words` each found with a
    scan of their own (characters outside ASCII, non-ASCII letters, marks, script characters)
    is then known to be absent: the letters are the ASCII letters of the blanked bytes, there
    is no script, and the words are counted on the same bytes.
    """
    if not text.isascii() and not all(map(_INERT.__getitem__, set(_NON_ASCII.findall(text)))):
        return None
    data = text.encode("utf-8", "surrogatepass")
    blanked = _blank_bytes(data)
    words = text if blanked is data else blanked.decode("utf-8", "surrogatepass")
    letters = len(blanked.translate(None, _NOT_ASCII_LETTER_BYTES))
    return _Sample(words, _Script(letters, letters, None, 0.0), blanked)


class TextLanguages:
    """The language of every piece of one text, identified once per request.

    The guard makes one per checked text and puts it on the request: each learned detector
    asks for the text as it can read it (:meth:`readable`), the language check for what no
    supported language covers (:meth:`outside`). Pieces are cut and measured once, py3langid
    ranks a piece at most once, and judging against another set of languages is arithmetic.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._samples: list[tuple[int, int, _Sample]] | None = None
        self._judged: dict[frozenset[str], tuple[LanguagePiece, ...]] = {}
        self._readable: dict[frozenset[str], str] = {}

    def pieces(self, languages: frozenset[str]) -> tuple[LanguagePiece, ...]:
        """Every piece of the text, in order, judged against ``languages``."""
        judged = self._judged.get(languages)
        if judged is None:
            if self._samples is None:
                self._samples = self._measure()
            judged = tuple(LanguagePiece(s, e, sample.judge(languages)) for s, e, sample in self._samples)
            self._judged[languages] = judged
        return judged

    def _measure(self) -> list[tuple[int, int, _Sample]]:
        """The text's pieces and their samples: one piece measured on its bytes when the text is
        plain (:func:`_plain_sample`) and short enough to be one piece anyway (no script in it).
        """
        plain = _plain_sample(self.text) if len(self.text) <= CHUNK_CHARS else None
        if plain is not None:
            return [(0, len(self.text), plain)]
        words = _words_only(self.text)
        codes = words.translate(_script_codes()) if _SCRIPT_CHAR.search(words) else ""
        present = {name: code for name, code in _CODES.items() if code in codes}
        return [
            (s, e, _Sample(words[s:e], _script(words, s, e, codes, present)))
            for s, e in _pieces(words, codes, present)
        ]

    def outside(self, languages: frozenset[str]) -> list[LanguagePiece]:
        """The pieces in none of ``languages``; adjacent ones in the same language are merged."""
        merged: list[LanguagePiece] = []
        for piece in self.pieces(languages):
            if not piece.outside():
                continue
            previous = merged[-1] if merged else None
            if (
                previous is not None
                and previous.end == piece.start
                and previous.guess is not None
                and piece.guess is not None
                and previous.guess.language == piece.guess.language
            ):
                guess = max(previous.guess, piece.guess, key=lambda g: g.unsupported)
                merged[-1] = LanguagePiece(previous.start, piece.end, guess)
            else:
                merged.append(piece)
        return merged

    def readable(self, languages: frozenset[str]) -> str:
        """The text with every piece in none of ``languages`` blanked: spaces, line breaks kept.

        Same length as the text, so a finding's offsets index into the text the user sent.
        """
        view = self._readable.get(languages)
        if view is None:
            parts: list[str] = []
            done = 0
            for piece in self.outside(languages):
                parts.append(self.text[done : piece.start])
                parts.append(re.sub(r"[^\n]", " ", self.text[piece.start : piece.end]))
                done = piece.end
            view = "".join(parts) + self.text[done:] if parts else self.text
            self._readable[languages] = view
        return view


class _Run:
    """Consecutive sentences of one script class, while :func:`_pieces` gathers them."""

    __slots__ = ("cls", "cuts", "end", "start", "weight")

    def __init__(self, start: int, end: int, cls: str | None, weight: int) -> None:
        self.start, self.end, self.cls, self.weight = start, end, cls, weight
        self.cuts: list[int] = []


def _pieces(words: str, codes: str, present: dict[str, str]) -> list[tuple[int, int]]:
    """Cut a text (non-words already blanked) into pieces of one script, each judged on its own.

    Sentences of one script class form a run; a sentence without letters joins its run, and a
    run too short to judge merges with its neighbour (taking the heavier one's class), so
    short foreign fragments scattered between English ones are judged together, not one by
    one and each too short. Long runs are cut at sentence ends. ``codes`` is ``words`` through
    :func:`_script_codes`, ``present`` the scripts found in it.
    """
    if len(words) <= CHUNK_CHARS and not present:
        return [(0, len(words))]
    cuts = sorted({0, len(words), *(m.end() for m in _SENTENCE_END.finditer(words))})
    if not present:
        return _chunks(0, len(words), cuts)  # Latin script throughout: nothing to separate
    whole = _script(words, codes=codes, present=present)
    main = [code for name, code in present.items() if _CLASS.get(name, name) == whole.cls]
    if whole.letters == sum(codes.count(code) for code in main):
        return _chunks(0, len(words), cuts)  # one script throughout
    runs: list[_Run] = []
    for start, end in pairwise(cuts):
        script = _script(words, start, end, codes, present)
        cls, run = script.cls, runs[-1] if runs else None
        if run is None:
            runs.append(_Run(start, end, cls, script.weighted))
            continue
        short = run.weight < MIN_LETTERS or script.weighted < MIN_LETTERS
        if not (cls is None or run.cls is None or cls == run.cls or short):
            runs.append(_Run(start, end, cls, script.weighted))
            continue
        if run.cls is None or (cls is not None and script.weighted > run.weight):
            run.cls = cls
        run.end, run.weight = end, run.weight + script.weighted
        run.cuts.append(start)
    pieces: list[tuple[int, int]] = []
    for run in runs:
        pieces.extend(_chunks(run.start, run.end, run.cuts))
    return pieces


def _chunks(start: int, end: int, cuts: list[int]) -> list[tuple[int, int]]:
    """``start``–``end`` in pieces of about :data:`CHUNK_CHARS`, cut at sentence ends if possible.

    A remainder under a quarter of that joins the last piece rather than standing alone,
    too short to judge.
    """
    pieces: list[tuple[int, int]] = []
    while end - start > CHUNK_CHARS:
        limit = start + CHUNK_CHARS
        i = bisect_right(cuts, limit)
        cut = cuts[i - 1] if i and cuts[i - 1] >= start + CHUNK_CHARS // 2 else limit
        if end - cut < CHUNK_CHARS // 4:
            break
        pieces.append((start, cut))
        start = cut
    pieces.append((start, end))
    return pieces


class LanguageDetector(Detector):
    """Reports the parts of a text written in a language the policy does not list as supported."""

    name = "language"
    policy_kind = PolicyKind.CONTENT
    cost = 5

    def __init__(self, supported: frozenset[str]) -> None:
        self.supported = supported
        preload()  # now, not on the first request

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
        """One finding per piece of text in an unsupported language (adjacent pieces merged).

        Reuses the request's identification when it is of this text (inside the guard it is),
        so the pieces the learned detectors did not read are exactly the pieces reported here.
        """
        if request.rules and RULE not in request.rules:
            return []
        identified = request.text_languages
        if identified is None or identified.text != text:
            identified = TextLanguages(text)
        return [
            Finding(
                policy=PolicyKind.CONTENT,
                type=FINDING_TYPE,
                detector=self.name,
                start=piece.start,
                end=piece.end,
                match=text[piece.start : piece.end],
                score=piece.guess.unsupported,
                rule=RULE,
                details={
                    "language": piece.guess.language,
                    "method": piece.guess.method,
                    "supported": sorted(self.supported),
                },
            )
            for piece in identified.outside(self.supported)
            if piece.guess is not None
        ]
