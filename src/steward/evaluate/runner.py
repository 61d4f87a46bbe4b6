"""Run a guard over labelled rows: what it decided, how sure it was, how long it took.

Each row is checked with ``output_scope="FULL"`` so every detector runs and continuous
scores exist even for texts another detector already blocked. A row is *caught* when the
guard intervenes (blocks or masks), or, with ``caught="blocked"``, only when it blocks
(and then masked findings do not count towards the score either).
Its ranking score is its highest risk: a content or topic score as is, a grounding or
relevance score turned round (``1 - score``), since there a low score is the bad sign.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from steward.assessment import Assessment, FindingAction, PolicyKind
from steward.errors import InputError
from steward.evaluate.dataset import EvalRow
from steward.guard import Guard

__all__ = ["CaughtWhen", "RowResult", "risk_score", "run_guard"]

CaughtWhen = Literal["intervened", "blocked"]

#: Score types where a low value means trouble (contextual grounding).
GROUNDING_TYPES = frozenset({"GROUNDING", "RELEVANCE"})
#: Rows at least this many get a progress bar on stderr.
PROGRESS_MIN_ROWS = 500


@dataclass(frozen=True, slots=True)
class RowResult:
    """The guard's verdict on one row."""

    row: EvalRow
    caught: bool
    score: float
    latency_ms: float


def risk_score(assessment: Assessment, *, ignore_masking: bool = False) -> float:
    """The highest risk in an assessment, on a 0–1 scale where higher means worse.

    With ``ignore_masking`` the findings the guard masked (PII) do not count, so when only
    blocks are counted as caught, a name in a benign prompt does not rank it as harmful.
    """
    risks = [0.0]
    for name, value in assessment.scores.items():
        risks.append(1.0 - value if name in GROUNDING_TYPES else value)
    for finding in assessment.findings:
        if ignore_masking and finding.action is FindingAction.ANONYMIZED:
            continue
        grounding = finding.policy is PolicyKind.CONTEXTUAL_GROUNDING
        risks.append(1.0 - finding.score if grounding else finding.score)
    return max(risks)


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


def run_guard(guard: Guard, rows: Sequence[EvalRow], *, caught: CaughtWhen = "intervened") -> list[RowResult]:
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
        results.append(RowResult(row=row, caught=hit, score=score, latency_ms=elapsed))
    return results
