"""Cut text into sentence-sized spans, keeping character offsets into the original.

Learned detectors compare pieces of text, not whole documents: a denied topic raised in
one sentence of a long prompt is diluted if the prompt is embedded whole, and a grounding
check must name the one unsupported sentence of an answer. Spans are found with a cheap
rule (sentence-ending punctuation followed by space, or a line break) rather than a
linguistic model: it is fast, language-agnostic enough for the scripts Steward covers,
and its mistakes (a split after "Dr.") only make a span shorter.
"""

from __future__ import annotations

import re

__all__ = ["MAX_SPAN_CHARS", "embedding_pieces", "sentence_spans"]

#: Longest span handed to an encoder; longer sentences are cut at spaces into overlapping
#: pieces (the encoder reads 128 tokens, about 500 characters of English).
MAX_SPAN_CHARS = 400
#: Overlap between the pieces of a long sentence, so no phrase is lost at a cut.
_OVERLAP_CHARS = 100

#: A text with at most this many sentences, no longer than this, is also compared whole,
#: so a subject spread over two short sentences is still seen.
_WHOLE_TEXT_MAX_SENTENCES = 6
_WHOLE_TEXT_MAX_CHARS = 600

_BOUNDARY = re.compile(r"(?<=[.!?。！？])[\"'”’)\]]*\s+|\s*\n\s*")
_LETTER_OR_DIGIT = re.compile(r"\w")


def sentence_spans(text: str, *, min_chars: int = 2) -> list[tuple[int, int]]:
    """``(start, end)`` offsets of the sentences of ``text``, whitespace trimmed.

    Spans with fewer than ``min_chars`` letters or digits (list bullets, stray punctuation)
    are dropped; sentences longer than :data:`MAX_SPAN_CHARS` become overlapping pieces.
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for boundary in _BOUNDARY.finditer(text):
        _add(text, start, boundary.start(), spans, min_chars)
        start = boundary.end()
    _add(text, start, len(text), spans, min_chars)
    return spans


def embedding_pieces(text: str) -> list[tuple[int, int]]:
    """The pieces of ``text`` compared by meaning: its sentences, plus the whole of a short text."""
    spans = sentence_spans(text)
    if 1 < len(spans) <= _WHOLE_TEXT_MAX_SENTENCES and spans[-1][1] - spans[0][0] <= _WHOLE_TEXT_MAX_CHARS:
        spans.append((spans[0][0], spans[-1][1]))
    return spans


def _add(text: str, start: int, end: int, spans: list[tuple[int, int]], min_chars: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if len(_LETTER_OR_DIGIT.findall(text, start, end)) < min_chars:
        return
    if end - start <= MAX_SPAN_CHARS:
        spans.append((start, end))
        return
    piece_start = start
    while True:
        piece_end = min(end, piece_start + MAX_SPAN_CHARS)
        if piece_end < end:
            space = text.rfind(" ", piece_start + MAX_SPAN_CHARS // 2, piece_end)
            piece_end = space if space > piece_start else piece_end
        spans.append((piece_start, piece_end))
        if piece_end >= end:
            return
        next_start = max(piece_start + 1, piece_end - _OVERLAP_CHARS)
        space = text.find(" ", next_start, piece_end)
        piece_start = space + 1 if space != -1 else next_start
