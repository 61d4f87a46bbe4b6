"""Texts at the lengths real traffic has: length buckets and re-chunking of source material.

Why: a guard measured on one-line prompts says nothing about the 3,000-character e-mail or
forum thread it will also see, and detectors whose false positives grow with length (a
maximum over many windows) look fine on short rows. Evaluation therefore cuts its benign
material into texts of every length bucket, the same way for every source:

* a *document* source (articles, e-mails, code, tables) is read as one stream of
  paragraphs per document, and a text is a run of whole units (sentences, or lines for
  code and tables) from a random point of one document, continued into the next document
  of the same source when one is too short (a page with several e-mails);
* an *item* source (tweets, questions, statements) gives single items for the shortest
  bucket and consecutive items joined as a thread for longer ones (a forum page, a list
  of questions).

Every text's length falls inside its bucket; sampling is seeded, so a run is repeatable.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["LENGTH_BUCKETS", "LengthBucket", "bucket_of", "chunk_documents", "join_items"]


@dataclass(frozen=True, slots=True)
class LengthBucket:
    """Texts of ``low`` up to (not including) ``high`` characters."""

    name: str
    low: int
    high: int

    def __contains__(self, length: object) -> bool:
        return isinstance(length, int) and self.low <= length < self.high


#: The buckets precision is reported in (issue 14): short prompts to long documents.
LENGTH_BUCKETS: tuple[LengthBucket, ...] = (
    LengthBucket("<200", 1, 200),
    LengthBucket("200-500", 200, 500),
    LengthBucket("500-1k", 500, 1000),
    LengthBucket("1k-2k", 1000, 2000),
    LengthBucket("2k-8k", 2000, 8000),
)

#: Cut points of prose: after a sentence end, or at a line break.
_SENTENCE_CUT = re.compile(r"(?<=[.!?。！？])\s+|\n+")
_LINE_CUT = re.compile(r"\n")


def bucket_of(length: int) -> LengthBucket | None:
    """The bucket a text of ``length`` characters falls in (``None`` for empty or longer)."""
    return next((b for b in LENGTH_BUCKETS if length in b), None)


def _units(text: str, *, lines: bool) -> list[str]:
    """The text cut into units that keep their trailing separator, so joining restores it."""
    cut = _LINE_CUT if lines else _SENTENCE_CUT
    out: list[str] = []
    start = 0
    for m in cut.finditer(text):
        if m.end() > start:
            out.append(text[start : m.end()])
            start = m.end()
    if start < len(text):
        out.append(text[start:])
    return [u for u in out if u.strip()]


def chunk_documents(
    documents: Sequence[str],
    bucket: LengthBucket,
    n: int,
    *,
    seed: int = 0,
    lines: bool = False,
    max_tries: int = 50,
) -> list[str]:
    """``n`` texts whose lengths fall in ``bucket``, cut from ``documents`` at unit boundaries.

    A target length is drawn uniformly inside the bucket; the text starts at a random unit
    of a random document and takes whole units until the next one would overshoot the
    target, continuing into the following document (separated by a blank line) when the
    document ends. Texts that cannot land in the bucket (a single unit longer than the
    bucket allows) are retried from another start, up to ``max_tries`` times each; fewer
    than ``n`` texts come back when the material does not allow more.
    """
    rng = random.Random(f"{seed}:{bucket.name}:{n}")  # noqa: S311 - repeatable sampling, not secrecy
    docs = [_units(d, lines=lines) for d in documents if d.strip()]
    docs = [d for d in docs if d]
    if not docs:
        return []
    out: list[str] = []
    for _ in range(n):
        for _try in range(max_tries):
            target = rng.randrange(bucket.low, bucket.high)
            d = rng.randrange(len(docs))
            u = rng.randrange(len(docs[d]))
            text = ""
            while len(text) < bucket.high:
                unit = docs[d][u]
                if text and len(text) + len(unit) > target:
                    break
                text += unit
                u += 1
                if u == len(docs[d]):
                    d, u = (d + 1) % len(docs), 0
                    text = text.rstrip() + "\n\n"
            text = text.strip()
            if len(text) in bucket:
                out.append(text)
                break
    return out


def join_items(
    items: Sequence[str], bucket: LengthBucket, n: int, *, seed: int = 0, sep: str = "\n\n"
) -> list[str]:
    """``n`` texts in ``bucket`` made of consecutive ``items`` (single items for short buckets)."""
    return chunk_documents(
        [sep.join(i.strip() for i in items if i.strip())], bucket, n, seed=seed, lines=True
    )
