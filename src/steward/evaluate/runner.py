"""Run a guard over labelled rows: what it decided, how sure it was, how long it took.

Each row is checked with ``output_scope="FULL"`` so every detector runs and continuous
scores exist even for texts another detector already blocked. A row is *caught* when the
guard blocks it (the default, ``caught="blocked"``: what a user of the field sees refused),
or, with ``caught="intervened"``, when it blocks or masks. A row masked but not blocked is
recorded as ``masked`` either way, so masking is reported beside the catch rate.

Its ranking score is the guard's own (:attr:`steward.assessment.Assessment.risk_score`):
the highest risk among rules that can act, never a report-only one. With
``caught="blocked"`` it is the blocking rules' alone
(:attr:`~steward.assessment.Assessment.block_risk_score`), so masking a name does not
rank a benign prompt as harmful.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from steward.assessment import Assessment
from steward.errors import InputError
from steward.evaluate.dataset import EvalRow
from steward.evaluate.spans import Span, predicted_spans
from steward.guard import Guard

__all__ = ["CaughtWhen", "RowResult", "risk_score", "run_guard"]

CaughtWhen = Literal["intervened", "blocked"]

#: Rows at least this many get a progress bar on stderr.
PROGRESS_MIN_ROWS = 500


@dataclass(frozen=True, slots=True)
class RowResult:
    """The guard's verdict on one row."""

    row: EvalRow
    caught: bool
    score: float
    latency_ms: float
    #: Masked but not blocked.
    masked: bool = False
    #: The PII spans the guard found, for rows with gold ``spans`` (empty otherwise).
    predicted_spans: tuple[Span, ...] = ()


def risk_score(assessment: Assessment, *, ignore_masking: bool = False) -> float:
    """The assessment's ranking score, 0–1, higher = worse, as the guard defines it.

    ``ignore_masking`` picks the blocking rules' score, for when only blocks count as caught.
    """
    return assessment.block_risk_score if ignore_masking else assessment.risk_score


def _apply(guard: Guard, row: EvalRow) -> Assessment:
    try:
        return guard.apply(
            row.text,
            row.source,
            grounding_source=row.context,
            query=row.query,
            untrusted=row.untrusted,
            output_scope="FULL",
        )
    except InputError as exc:
        raise InputError(exc.message, field=row.origin or None) from None


def run_guard(guard: Guard, rows: Sequence[EvalRow], *, caught: CaughtWhen = "blocked") -> list[RowResult]:
    """Check every row once (after one untimed warm-up call) and record the verdicts."""
    from tqdm import tqdm

    if rows:
        _apply(guard, rows[0])  # lazy model loading is not a per-text cost
    results: list[RowResult] = []
    for row in tqdm(
        rows, desc="evaluating", unit="text", file=sys.stderr, disable=len(rows) < PROGRESS_MIN_ROWS
    ):
        started = time.perf_counter()
        assessment = _apply(guard, row)
        elapsed = (time.perf_counter() - started) * 1000
        blocked_only = caught == "blocked"
        hit = assessment.blocked if blocked_only else assessment.intervened
        score = risk_score(assessment, ignore_masking=blocked_only)
        results.append(
            RowResult(
                row=row,
                caught=hit,
                score=score,
                latency_ms=elapsed,
                masked=assessment.intervened and not assessment.blocked,
                predicted_spans=predicted_spans(assessment) if row.spans is not None else (),
            )
        )
    return results
