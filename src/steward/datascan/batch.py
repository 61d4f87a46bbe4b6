"""The per-batch function: every engine (in process, a process pool, Ray Data) runs this one.

A batch is a list of rows, each a line number and the ``(column, text)`` cells to check. The
function runs the policy's guard over every cell (``output_scope="FULL"``, so a scan sees every
finding, not only the first block), identifies the language of every cell or of a sample of them
(:func:`language_share_for`), and returns what was found
as spans and types only: no matched text leaves the function, so results can cross process
and machine boundaries without carrying personal data. Masking happens in the one process that
writes the output (:mod:`steward.datascan.scrub`), in row order, which is what keeps
pseudonyms consistent across a whole data set whatever engine found the spans.

Rows and results have a plain JSON form (:func:`encode_rows`, :func:`decode_results`) so Ray
can carry them without pickling Steward's classes.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from steward.assessment import FindingAction, PolicyKind, Source
from steward.detectors.language import guess_language
from steward.errors import InputError
from steward.guard import Guard
from steward.policy.schema import Policy

__all__ = [
    "ATTACK",
    "HARMFUL",
    "PII",
    "BatchConfig",
    "CellResult",
    "Hit",
    "RowCells",
    "RowResult",
    "check_cell",
    "check_texts",
    "decode_results",
    "decode_rows",
    "encode_results",
    "encode_rows",
    "language_share_for",
    "process_batch",
]

PII = "pii"
HARMFUL = "harmful"
ATTACK = "prompt_attack"
#: Language reported for a cell too short to judge.
UNDETERMINED = "und"
_ENGLISH = frozenset({"en"})
_NOT_COUNTED = frozenset({"UNSUPPORTED_LANGUAGE"})  # the language mix reports languages itself
#: Input size up to which a scan identifies the language of every cell. A larger input has a
#: uniform sample of its cells identified, about this much text: 2 MiB is 4,000–10,000 cells of
#: chat-length text, enough to put each language's share within about 1.5 points (95%), and
#: identification is a third of a pattern-only scan's CPU when every cell is identified.
LANGUAGE_SAMPLE_BYTES = 2 << 20


def language_share_for(input_bytes: int) -> float:
    """The share of cells whose language a scan of ``input_bytes`` of data identifies.

    The language mix is a distribution: past :data:`LANGUAGE_SAMPLE_BYTES` a sample measures it
    as well as every cell, and the cost of identifying every cell would grow with the file while
    the estimate hardly improves. ``steward scan --all-languages`` identifies every cell.
    """
    return 1.0 if input_bytes <= LANGUAGE_SAMPLE_BYTES else LANGUAGE_SAMPLE_BYTES / input_bytes


def _in_language_sample(text: str, share: float) -> bool:
    """Whether ``text`` is among the cells whose language is identified, at ``share`` (0: none, 1: all).

    Chosen by a hash of the text (CRC-32 of its UTF-8), not by position: the same cells are
    chosen whatever the chunks, workers, engine or resumption, a repeated value is always in
    or always out, and the hash knows nothing of the language, so the sample is uniform.
    """
    if share <= 0.0:
        return False
    if share >= 1.0:
        return True
    return zlib.crc32(text.encode("utf-8", "surrogatepass")) < share * 0x1_0000_0000


#: ``(line, ((column, text), ...))``: one row's cells to check.
RowCells = tuple[int, tuple[tuple[str, str], ...]]


@dataclass(frozen=True, slots=True)
class BatchConfig:
    """What every worker needs to check a batch: the policy and which cells' language to identify."""

    policy: Policy
    #: Share of cells whose language is identified (:func:`language_share_for`): 1.0 every cell, 0.0 none.
    language_share: float = 1.0

    def key(self) -> str:
        """A stable key of the configuration (workers build one guard per key)."""
        body = json.dumps(self.policy.to_dict(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(body.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Hit:
    """One finding in a cell, without its text: kind (pii/harmful/prompt_attack), type, span."""

    kind: str
    type: str
    start: int
    end: int
    score: float
    #: A PII span a scrub masks (the policy masks or blocks it).
    mask: bool
    #: The policy blocks the text for this finding.
    blocks: bool

    def __reduce__(self) -> tuple[Any, ...]:
        # Results cross from worker processes to the driver by pickle: rebuilt from their fields
        # by the constructor rather than by the frozen dataclass's ``__setstate__`` (which looks
        # the fields up again for every object): a fifth of the pickling time of a batch's results.
        return Hit, (self.kind, self.type, self.start, self.end, self.score, self.mask, self.blocks)


@dataclass(frozen=True, slots=True)
class CellResult:
    """What was found in one cell; ``skipped`` says why a cell could not be checked."""

    column: str
    hits: tuple[Hit, ...]
    language: str | None
    skipped: str | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        return CellResult, (self.column, self.hits, self.language, self.skipped)  # see Hit.__reduce__


@dataclass(frozen=True, slots=True)
class RowResult:
    """The results of one row's cells, in the order the cells were given."""

    line: int
    cells: tuple[CellResult, ...]

    def __reduce__(self) -> tuple[Any, ...]:
        return RowResult, (self.line, self.cells)  # see Hit.__reduce__

    @property
    def blocked(self) -> bool:
        """Whether the policy blocks any cell of the row."""
        return any(h.blocks for c in self.cells for h in c.hits)

    @property
    def unchecked(self) -> bool:
        """Whether some cell could not be checked (a scrub must not pass it on)."""
        return any(c.skipped is not None for c in self.cells)


_GUARDS: dict[str, Guard] = {}
#: Cells of at most this many characters are remembered per worker: tabular data repeats short
#: values (a category, a date, a code) across rows, and each check is mostly per-call overhead.
CACHE_TEXT_MAX = 256
#: Cells remembered per worker (at most about 20 MB); the memory is emptied when it is full.
CACHE_ENTRIES_MAX = 50_000
#: ``(text, language share) -> (hits, language, skipped)`` for the current guard (see :func:`_guard`).
_CELLS: dict[tuple[str, float], tuple[tuple[Hit, ...], str | None, str | None]] = {}


def _guard(config: BatchConfig) -> Guard:
    """The guard for ``config``, built once per process and reused for every batch."""
    key = config.key()
    guard = _GUARDS.get(key)
    if guard is None:
        guard = Guard(config.policy)
        _GUARDS.clear()  # one policy per run; do not keep detectors of an older one
        _CELLS.clear()  # results of the older policy
        _GUARDS[key] = guard
    return guard


def _kind(policy: PolicyKind, finding_type: str) -> str | None:
    if policy is PolicyKind.SENSITIVE_INFORMATION:
        return PII
    if policy is PolicyKind.CONTENT:
        if finding_type in _NOT_COUNTED:
            return None
        return ATTACK if finding_type == "PROMPT_ATTACK" else HARMFUL
    if policy is PolicyKind.TOPIC:
        return HARMFUL
    if policy is PolicyKind.WORD:
        return HARMFUL
    return None  # grounding needs a source; a data set has none


#: ``(hits, language, skipped)``: what is found in a cell, whatever its column.
_Found = tuple[tuple[Hit, ...], str | None, str | None]


def _hits(guard: Guard, text: str) -> tuple[tuple[Hit, ...], str | None]:
    """The guard's findings in one non-blank text as hits, and why it could not be checked (or ``None``)."""
    try:
        findings = guard.findings(text, Source.INPUT)
    except InputError as exc:
        return (), exc.message
    hits = []
    for f in findings:
        kind = _kind(f.policy, f.type)
        if kind is None:
            continue
        acted = f.action in (FindingAction.ANONYMIZED, FindingAction.BLOCKED)
        name = f"topic:{f.type}" if f.policy is PolicyKind.TOPIC else f.type
        hits.append(
            Hit(
                kind=kind,
                type=name,
                start=f.start,
                end=f.end,
                score=f.score,
                mask=kind == PII and acted,
                blocks=f.action is FindingAction.BLOCKED,
            )
        )
    return tuple(hits), None


def _language(text: str) -> str:
    guess = guess_language(text, _ENGLISH)
    return guess.language if guess is not None else UNDETERMINED


def check_texts(guard: Guard, texts: Sequence[str], *, language_share: float) -> list[_Found]:
    """:func:`check_cell` of many texts: the guard over all of them, then languages over all
    (over the cells of the sample, at a ``language_share`` under 1: :func:`_in_language_sample`).

    Two passes rather than both checks per text: each pass keeps its own tables hot in the
    processor's caches (the PII triggers' RE2 automata, py3langid's 68 MB of tables), which
    interleaving them per cell evicts. Measured on 4–6 MB of distinct rows (the scan benchmark's
    and unique transcripts), the two passes took 12–17 % less CPU than the same checks per
    cell (with ``language._rank``); every result is the same.
    """
    checked = [_hits(guard, t) if t.strip() else None for t in texts]
    found: list[_Found] = []
    for text, done in zip(texts, checked, strict=True):
        if done is None:
            found.append(((), None, None))  # blank: nothing to check
        elif done[1] is not None:
            found.append(((), None, done[1]))  # refused: no language either
        else:
            identified = _language(text) if _in_language_sample(text, language_share) else None
            found.append((done[0], identified, None))
    return found


def check_cell(guard: Guard, column: str, text: str, *, language_share: float = 1.0) -> CellResult:
    """Check one cell; a cell the guard refuses (too long) comes back ``skipped``."""
    [found] = check_texts(guard, [text], language_share=language_share)
    return CellResult(column, *found)


def process_batch(config: BatchConfig, rows: Sequence[RowCells]) -> list[RowResult]:
    """Check every cell of every row of a batch; results in the order of ``rows``.

    A short cell seen before (in this batch or an earlier one of this process) is answered
    from memory: the guard's verdict on a text depends on the text alone (no vault, no state),
    so a repeated value gets the same hits, language and skip reason without running the
    detectors again. The others are checked together by :func:`check_texts`.
    """
    guard = _guard(config)
    share = config.language_share
    todo: list[str] = []
    wanted: dict[str, int] = {}  # short text -> its index in ``todo``
    slots: list[list[int | _Found]] = []  # per row: a result, or an index into ``todo``
    for _, cells in rows:
        row: list[int | _Found] = []
        for _, text in cells:
            if len(text) > CACHE_TEXT_MAX:
                row.append(len(todo))
                todo.append(text)
                continue
            known = _CELLS.get((text, share))
            if known is not None:
                row.append(known)
                continue
            index = wanted.get(text)
            if index is None:
                index = wanted[text] = len(todo)
                todo.append(text)
            row.append(index)
        slots.append(row)
    found = check_texts(guard, todo, language_share=share) if todo else []
    for text, index in wanted.items():
        if len(_CELLS) >= CACHE_ENTRIES_MAX:
            _CELLS.clear()
        _CELLS[(text, share)] = found[index]
    return [
        RowResult(
            line,
            tuple(
                CellResult(col, *(found[slot] if isinstance(slot, int) else slot))
                for (col, _), slot in zip(cells, row, strict=True)
            ),
        )
        for (line, cells), row in zip(rows, slots, strict=True)
    ]


# -- a plain JSON form, for engines that carry batches between machines --------------------


def encode_rows(rows: Sequence[RowCells]) -> str:
    """Rows as JSON text."""
    return json.dumps([[line, [list(c) for c in cells]] for line, cells in rows], ensure_ascii=False)


def decode_rows(text: str) -> list[RowCells]:
    """Rows from :func:`encode_rows`'s JSON text."""
    return [(int(line), tuple((str(c), str(t)) for c, t in cells)) for line, cells in json.loads(text)]


def encode_results(results: Sequence[RowResult]) -> str:
    """Results as JSON text."""
    return json.dumps(
        [
            [
                r.line,
                [
                    [
                        c.column,
                        [[h.kind, h.type, h.start, h.end, h.score, h.mask, h.blocks] for h in c.hits],
                        c.language,
                        c.skipped,
                    ]
                    for c in r.cells
                ],
            ]
            for r in results
        ],
        ensure_ascii=False,
    )


def decode_results(text: str) -> list[RowResult]:
    """Results from :func:`encode_results`'s JSON text."""
    return [
        RowResult(
            int(line),
            tuple(
                CellResult(
                    column,
                    tuple(
                        Hit(k, t, int(s), int(e), float(sc), bool(m), bool(b))
                        for k, t, s, e, sc, m, b in hits
                    ),
                    language,
                    skipped,
                )
                for column, hits, language, skipped in cells
            ),
        )
        for line, cells in json.loads(text)
    ]
