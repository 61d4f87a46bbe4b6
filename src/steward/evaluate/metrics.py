"""Classification and ranking metrics in plain numpy (no scikit-learn at run time).

Conventions: a metric whose denominator is zero is ``None`` (precision when nothing is
caught, recall with no positives, FPR with no negatives), never a silent 0 or NaN, so a
report or a gate can tell "bad" from "undefined". Ranking metrics treat tied scores as
one threshold, as scikit-learn does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

__all__ = [
    "Confusion",
    "average_precision",
    "bootstrap_intervals",
    "classification_metrics",
    "f1_score",
    "percentile",
    "recall_at_fpr",
    "roc_points",
    "wilson_interval",
]

FloatArray = npt.NDArray[np.float64]

#: z for a two-sided 95% interval.
_Z95 = NormalDist().inv_cdf(0.975)


@dataclass(frozen=True, slots=True)
class Confusion:
    """Counts of a binary decision against binary labels."""

    tp: int
    fp: int
    tn: int
    fn: int

    @classmethod
    def of(cls, labels: Sequence[int], predicted: Sequence[bool]) -> Confusion:
        """Count true/false positives/negatives."""
        y = np.asarray(labels, dtype=bool)
        p = np.asarray(predicted, dtype=bool)
        if y.shape != p.shape:
            raise ValueError(f"{y.size} labels but {p.size} predictions")
        return cls(
            tp=int(np.sum(y & p)), fp=int(np.sum(~y & p)), tn=int(np.sum(~y & ~p)), fn=int(np.sum(y & ~p))
        )


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def f1_score(precision: float | None, recall: float | None) -> float | None:
    """The harmonic mean of precision and recall; ``None`` where either is undefined."""
    if precision is None or recall is None:
        return None
    if precision + recall == 0:
        return 0.0
    return 2 * precision * recall / (precision + recall)


def classification_metrics(labels: Sequence[int], predicted: Sequence[bool]) -> dict[str, float | None]:
    """Precision, recall, F1 and false-positive rate of a yes/no decision."""
    c = Confusion.of(labels, predicted)
    precision = _ratio(c.tp, c.tp + c.fp)
    recall = _ratio(c.tp, c.tp + c.fn)
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1_score(precision, recall),
        "fpr": _ratio(c.fp, c.fp + c.tn),
    }


def wilson_interval(successes: int, n: int, *, z: float = _Z95) -> tuple[float, float] | None:
    """Wilson score interval of a proportion (95% by default); ``None`` for ``n == 0``.

    Unlike the normal approximation it stays inside [0, 1] and is honest at 0/n and n/n, which
    per-identity error rates and red-team attack rates over a few dozen rows often are. Written
    out (the standard library's normal quantile) rather than pulling scipy into the core for
    one formula; the tests check it against scipy's ``binomtest`` interval.
    """
    if n == 0:
        return None
    if not 0 <= successes <= n:
        raise ValueError(f"successes must lie between 0 and {n}, not {successes}")
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def _sorted_counts(labels: Sequence[int], scores: Sequence[float]) -> tuple[FloatArray, FloatArray]:
    """Cumulative true and false positives at each distinct score, highest score first."""
    y = np.asarray(labels, dtype=np.float64)
    s = np.asarray(scores, dtype=np.float64)
    if y.shape != s.shape:
        raise ValueError(f"{y.size} labels but {s.size} scores")
    if np.isnan(s).any():
        raise ValueError("scores contain NaN")
    order = np.argsort(-s, kind="mergesort")
    y, s = y[order], s[order]
    # the last index of each run of equal scores: a threshold admits all ties at once
    last_of_ties = np.r_[np.flatnonzero(np.diff(s)), y.size - 1]
    tps = np.cumsum(y)[last_of_ties]
    fps = (last_of_ties + 1) - tps
    return tps, fps


def average_precision(labels: Sequence[int], scores: Sequence[float]) -> float | None:
    """Area under the precision-recall curve as average precision: sum of (R_k - R_k-1) * P_k.

    ``None`` without both positives and negatives (with no negatives every ranking scores
    1.0, which says nothing). With every score equal it is the positive rate.
    """
    if len(labels) == 0 or all(labels) or not any(labels):
        return None
    tps, fps = _sorted_counts(labels, scores)
    precision = tps / (tps + fps)
    recall = tps / tps[-1]
    steps = np.diff(np.r_[0.0, recall])
    return float(np.sum(steps * precision))


def roc_points(labels: Sequence[int], scores: Sequence[float]) -> tuple[FloatArray, FloatArray]:
    """False- and true-positive rates at each distinct threshold, starting from (0, 0)."""
    tps, fps = _sorted_counts(labels, scores)
    n_pos = tps[-1] if tps.size else 0.0
    n_neg = fps[-1] if fps.size else 0.0
    tpr = np.r_[0.0, tps / n_pos] if n_pos else np.zeros(tps.size + 1)
    fpr = np.r_[0.0, fps / n_neg] if n_neg else np.zeros(fps.size + 1)
    return fpr, tpr


def recall_at_fpr(labels: Sequence[int], scores: Sequence[float], max_fpr: float = 0.01) -> float | None:
    """The best recall of any score threshold whose false-positive rate is at most ``max_fpr``.

    ``None`` without both positives and negatives. Tied scores move together, so a
    detector that gives many texts the same score cannot split them to fit the budget.
    """
    if len(labels) == 0 or all(labels) or not any(labels):
        return None
    fpr, tpr = roc_points(labels, scores)
    return float(np.max(tpr[fpr <= max_fpr + 1e-12]))


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (linear interpolation), or ``None`` for no values."""
    if len(values) == 0:
        return None
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))


def bootstrap_intervals(
    labels: Sequence[int],
    caught: Sequence[bool],
    scores: Sequence[float],
    *,
    resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> dict[str, tuple[float, float] | None]:
    """Percentile bootstrap intervals for the headline metrics, resampling rows with replacement.

    Small slices (a few dozen rows) give wide intervals; that is the point: a difference
    inside the interval is noise. A metric undefined in more than half of the resamples
    gets ``None``. Seeded, so the same data give the same intervals.
    """
    if resamples < 1:
        raise ValueError("resamples must be at least 1")
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    y = np.asarray(labels, dtype=np.int64)
    p = np.asarray(caught, dtype=bool)
    s = np.asarray(scores, dtype=np.float64)
    if not (y.size == p.size == s.size):
        raise ValueError(f"{y.size} labels, {p.size} decisions and {s.size} scores")
    names = ("precision", "recall", "f1", "fpr", "auprc", "recall_at_1pct_fpr")
    samples: dict[str, list[float]] = {name: [] for name in names}
    rng = np.random.default_rng(seed)
    for _ in range(resamples):
        idx = rng.integers(0, y.size, y.size)
        yl, pl, sl = y[idx].tolist(), p[idx].tolist(), s[idx].tolist()
        values: dict[str, float | None] = dict(classification_metrics(yl, pl))
        values["auprc"] = average_precision(yl, sl)
        values["recall_at_1pct_fpr"] = recall_at_fpr(yl, sl, 0.01)
        for name in names:
            value = values[name]
            if value is not None:
                samples[name].append(value)
    tail = (1 - confidence) / 2 * 100
    out: dict[str, tuple[float, float] | None] = {}
    for name in names:
        got = samples[name]
        if len(got) * 2 < resamples:
            out[name] = None
        else:
            lo, hi = np.percentile(np.asarray(got), [tail, 100 - tail])
            out[name] = (float(lo), float(hi))
    return out
