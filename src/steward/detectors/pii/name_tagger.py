"""A fast person-name tagger: a linear model over hashed word features, numpy only.

Why not spaCy at run time: its small English pipeline costs about 18 ms per 1,000
characters on two cores, most of the whole default policy's budget. Names are capitalised
words in every Latin-script language the product covers, so only capitalised tokens are
candidates (a typical 1,000-character prompt has 20–40) and each is scored from cheap
features: the word itself, its shape and suffixes, how often the word is written
capitalised in running text (a shipped lexicon), its neighbours, and the run of
capitalised words it belongs to. A logistic model over those features, trained by
``training/train_names.py`` from spaCy's PERSON labels on text from ``../shared/data``
(never the ``presidio_pii`` set it is measured on), scores each candidate; adjacent
positive tokens form one name.

Feature extraction lives here and nowhere else, so training and run time cannot drift.
"""

from __future__ import annotations

import functools
import json
import math
import re
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from steward.errors import DetectorUnavailableError

__all__ = [
    "ARTIFACT_DIR",
    "HASH_BITS",
    "NameTagger",
    "Token",
    "candidate_features",
    "lexicon_bucket",
    "name_spans",
    "sentence_initial",
    "tokenize",
]

ARTIFACT_DIR = Path(__file__).resolve().parents[2] / "models" / "artifacts" / "name-tagger"
#: Features are hashed into 2**HASH_BITS weights (crc32, deterministic across processes).
HASH_BITS = 18
_MASK = (1 << HASH_BITS) - 1

_TOKEN = re.compile(r"\w+(?:['’-]\w+)*")
#: Lower-case particles that may sit inside a name ("Ludwig van Beethoven", "Ana de Souza").
PARTICLES = frozenset(
    {"van", "von", "de", "der", "den", "da", "di", "du", "del", "della", "la", "le", "bin", "ibn", "al"}
)


@dataclass(frozen=True, slots=True)
class Token:
    """One word of the text: ``text[start:end]``."""

    start: int
    end: int
    word: str

    @property
    def capitalised(self) -> bool:
        return self.word[0].isupper()


def tokenize(text: str) -> list[Token]:
    """Words with their offsets (letters, digits, inner apostrophes and hyphens)."""
    return [Token(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)]


def _shape(word: str) -> str:
    """``Xxxx`` → ``Xx``, ``McDonald`` → ``XxXx``, ``NASA`` → ``X``, ``O'Neil`` → ``X'Xx``."""
    out: list[str] = []
    for ch in word[:12]:
        c = "X" if ch.isupper() else "x" if ch.islower() else "d" if ch.isdigit() else ch
        if not out or out[-1] != c:
            out.append(c)
    return "".join(out)


def lexicon_bucket(counts: tuple[int, int] | None) -> str:
    """How a word is written in running text: ``(lower-case uses, capitalised uses mid-sentence)``.

    ``c3`` words are almost always capitalised (proper nouns), ``c0`` almost never; ``rare``
    and ``unk`` words carry no evidence, which itself is a cue (unseen capitalised words
    are often foreign names).
    """
    if counts is None:
        return "unk"
    lower, upper = counts
    total = lower + upper
    if total < 3:
        return "rare"
    share = upper / total
    return "c0" if share < 0.1 else "c1" if share < 0.5 else "c2" if share < 0.9 else "c3"


def _gap(text: str, left: Token | None, right: Token | None) -> str:
    """What separates two tokens: ``_`` spaces, ``n`` a line break, else the punctuation itself."""
    if left is None or right is None:
        return "^"
    between = text[left.end : right.start]
    if not between.strip(" \t"):
        return "_"
    if between.rstrip(" \t") == "." and len(left.word) == 1 and left.capitalised:
        return "_"  # an initial: "J. Smith"
    if "\n" in between:
        return "n"
    return between.strip()[:2]


def sentence_initial(text: str, token: Token, prev: Token | None) -> bool:
    """Whether ``token`` opens a sentence or a line (capitalised for that reason alone)."""
    start = prev.end if prev is not None else 0
    before = text[start : token.start].strip()
    return prev is None or (bool(before) and before[-1] in '.!?:;"“”\n') or "\n" in text[start : token.start]


def candidate_features(
    text: str, tokens: Sequence[Token], i: int, lexicon: dict[str, tuple[int, int]]
) -> list[str]:
    """The features of capitalised token ``tokens[i]`` (the same at training and at run time)."""
    tok = tokens[i]
    word = tok.word
    low = word.lower()
    prev = tokens[i - 1] if i > 0 else None
    prev2 = tokens[i - 2] if i > 1 else None
    nxt = tokens[i + 1] if i + 1 < len(tokens) else None
    nxt2 = tokens[i + 2] if i + 2 < len(tokens) else None
    bucket = lexicon_bucket(lexicon.get(low))
    initial = sentence_initial(text, tok, prev)
    run_start = i
    while (
        run_start > 0
        and tokens[run_start - 1].capitalised
        and _gap(text, tokens[run_start - 1], tokens[run_start]) == "_"
    ):
        run_start -= 1
    run_end = i
    while (
        run_end + 1 < len(tokens)
        and tokens[run_end + 1].capitalised
        and _gap(text, tokens[run_end], tokens[run_end + 1]) == "_"
    ):
        run_end += 1
    run_len = min(run_end - run_start + 1, 4)
    feats = [
        "bias",
        "w=" + low,
        "s=" + _shape(word),
        "x3=" + low[-3:],
        "x2=" + low[-2:],
        "a2=" + low[:2],
        "len=" + str(min(len(word), 10)),
        "lex=" + bucket,
        "lexinit=" + bucket + str(initial),
        "init=" + str(initial),
        "run=" + str(run_len) + "/" + str(min(i - run_start, 2)) + "/" + str(min(run_end - i, 2)),
    ]
    if any(ord(c) > 127 for c in word):
        feats.append("nonascii")
    if word.isupper() and len(word) > 1:
        feats.append("allcaps")
    feats.append("gp=" + _gap(text, prev, tok))
    feats.append("gn=" + _gap(text, tok, nxt))
    if prev is not None:
        plow = prev.word.lower()
        feats += ["p1=" + plow, "p1s=" + _shape(prev.word), "p1lex=" + lexicon_bucket(lexicon.get(plow))]
        if prev2 is not None:
            feats.append("p2=" + prev2.word.lower())
    if nxt is not None:
        nlow = nxt.word.lower()
        feats += ["n1=" + nlow, "n1s=" + _shape(nxt.word), "n1lex=" + lexicon_bucket(lexicon.get(nlow))]
        if nxt2 is not None:
            feats.append("n2=" + nxt2.word.lower())
    return feats


def hash_features(features: Sequence[str]) -> list[int]:
    """Weight indices of ``features``."""
    return [zlib.crc32(f.encode("utf-8")) & _MASK for f in features]


@functools.cache
def _load(directory: Path) -> tuple[np.ndarray, float, float, dict[str, tuple[int, int]]]:
    try:
        with np.load(directory / "weights.npz") as data:
            weights = data["weights"].astype(np.float32)
            bias = float(data["bias"])
        meta = json.loads((directory / "model_card.json").read_text(encoding="utf-8"))
        raw = json.loads((directory / "lexicon.json").read_text(encoding="utf-8"))
    except (OSError, KeyError, ValueError) as exc:
        raise DetectorUnavailableError(
            f"the NAME tagger's files in {directory} cannot be read ({exc}); reinstall Steward or run "
            "`python training/train_names.py`"
        ) from None
    lexicon = {w: (int(c[0]), int(c[1])) for w, c in raw.items()}
    return weights, bias, float(meta["threshold"]), lexicon


class NameTagger:
    """Person names as ``(start, end, score)`` spans; a :class:`~steward.detectors.pii.names.NameModel`."""

    def __init__(self, directory: Path = ARTIFACT_DIR) -> None:
        self.directory = directory
        self.load()

    def load(self) -> None:
        """Read the weights and lexicon now; raises :class:`DetectorUnavailableError` if they are missing."""
        self._weights, self._bias, self.threshold, self.lexicon = _load(self.directory)

    def token_scores(self, text: str, tokens: Sequence[Token]) -> list[float]:
        """Probability that each token is part of a person's name (0 for non-capitalised tokens)."""
        scores = [0.0] * len(tokens)
        for i, tok in enumerate(tokens):
            if not tok.capitalised or tok.word.isdigit():
                continue
            idx = hash_features(candidate_features(text, tokens, i, self.lexicon))
            logit = float(self._weights[idx].sum()) + self._bias
            scores[i] = 1.0 / (1.0 + math.exp(-logit))
        return scores

    def find(self, text: str) -> list[tuple[int, int, float]]:
        tokens = tokenize(text)
        return list(name_spans(text, tokens, self.token_scores(text, tokens), self.threshold))


#: A capitalised word next to a confident name joins it at this share of the threshold
#: (hysteresis: "Oluwaseun Adebayo" is one name even when the rarer half scores lower).
JOIN_SHARE = 1 / 3


def _joins(
    text: str, tokens: Sequence[Token], scores: Sequence[float], left: int, right: int, threshold: float
) -> bool:
    """Whether adjacent tokens ``left`` and ``right`` belong to the same name."""
    if _gap(text, tokens[left], tokens[right]) != "_":
        return False
    low = threshold * JOIN_SHARE
    a, b = scores[left], scores[right]
    if a >= threshold and b >= threshold:
        return True
    if a >= threshold and tokens[right].capitalised and b >= low:
        return True
    return b >= threshold and tokens[left].capitalised and (a >= low or _is_initial(text, tokens[left]))


def _is_initial(text: str, token: Token) -> bool:
    return len(token.word) == 1 and token.word.isupper() and text[token.end : token.end + 1] == "."


def name_spans(
    text: str, tokens: Sequence[Token], scores: Sequence[float], threshold: float
) -> Iterator[tuple[int, int, float]]:
    """Names: runs of adjacent capitalised tokens around at least one confident one.

    A token at or above ``threshold`` seeds a name; neighbours separated by spaces join it
    when they are confident too, when they score at least :data:`JOIN_SHARE` of the
    threshold, or when they are an initial ("J. Smith"); a lower-case particle ("van",
    "de") joins two name words.
    """
    i = 0
    n = len(tokens)
    while i < n:
        if scores[i] < threshold:
            i += 1
            continue
        first = i
        while first > 0 and _joins(text, tokens, scores, first - 1, first, threshold):
            first -= 1
        last = i
        while True:
            k = last + 1
            if k < n and _joins(text, tokens, scores, last, k, threshold):
                last = k
                continue
            if (
                k + 1 < n
                and tokens[k].word in PARTICLES
                and scores[k + 1] >= threshold
                and _gap(text, tokens[last], tokens[k]) == "_"
                and _gap(text, tokens[k], tokens[k + 1]) == "_"
            ):
                last = k + 1
                continue
            break
        end = tokens[last].end
        if _is_initial(text, tokens[last]):
            end += 1  # "Smith J." keeps the initial's full stop
        picked = [scores[t] for t in range(first, last + 1) if scores[t] >= threshold]
        yield tokens[first].start, end, round(sum(picked) / len(picked), 3)
        i = last + 1
