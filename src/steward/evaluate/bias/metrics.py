"""Unintended-bias metrics for a scored classifier (Borkan et al. 2019, "Nuanced Metrics for
Measuring Unintended Bias with Real Data for Text Classification").

One overall AUC hides bias: a model can rank well on average while scoring every mention of
one identity higher than the rest. The three per-identity AUCs split the question:

* **subgroup AUC** — rows that mention the identity only: does the model tell harmful from
  benign *within* the group?
* **BPSN** (background positive, subgroup negative) — benign rows that mention the identity
  against harmful rows that do not: low when mere mention raises the score (false positives).
* **BNSP** (background negative, subgroup positive) — harmful rows that mention the identity
  against benign rows that do not: low when harm about the group is scored too low (misses).

The per-metric summary is the generalized (power) mean with ``p = -5``, which pulls towards
the worst identities, and the combined score weighs the overall AUC and the three means
equally (0.25 each), as the Jigsaw unintended-bias competition did.

AUCs come from :func:`steward.evaluate.metrics.roc_points` (tied scores form one threshold,
so ties earn half credit, as scikit-learn's ``roc_auc_score``). A metric whose data are too
thin (fewer than ``min_count`` rows on either side) is ``None``, with the reason, never 0.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from steward.evaluate.metrics import roc_points

__all__ = [
    "DEFAULT_POWER",
    "bias_aucs",
    "generalized_mean",
    "roc_auc",
]

#: Borkan et al.'s power for the generalized mean: strongly weighted to the worst identity.
DEFAULT_POWER = -5.0

BoolArray = npt.NDArray[np.bool_]


def roc_auc(
    labels: Sequence[int] | npt.NDArray[np.int64], scores: Sequence[float] | npt.NDArray[np.float64]
) -> float | None:
    """Area under the ROC curve; ``None`` without both positives and negatives."""
    y = np.asarray(labels)
    if y.size == 0 or y.all() or not y.any():
        return None
    fpr, tpr = roc_points(y.tolist(), np.asarray(scores, dtype=np.float64).tolist())
    return float(np.trapezoid(tpr, fpr))


def generalized_mean(values: Sequence[float], power: float = DEFAULT_POWER) -> float | None:
    """``(mean(v ** p)) ** (1 / p)``; ``None`` for no values. A zero with a negative power gives 0."""
    if not values:
        return None
    v = np.asarray(values, dtype=np.float64)
    if power < 0 and np.any(v <= 0):
        return 0.0
    return float(np.mean(v**power) ** (1 / power))


def _auc_or_reason(
    y: npt.NDArray[np.int64],
    s: npt.NDArray[np.float64],
    mask: BoolArray,
    *,
    positives: str,
    negatives: str,
    min_count: int,
) -> tuple[float | None, str | None]:
    n_pos = int(np.sum(y[mask] == 1))
    n_neg = int(np.sum(y[mask] == 0))
    thin = [f"{n} {what}" for n, what in ((n_pos, positives), (n_neg, negatives)) if n < min_count]
    if thin:
        return None, f"{' and '.join(thin)} (needs {min_count} each)"
    return roc_auc(y[mask], s[mask]), None


def bias_aucs(
    labels: npt.NDArray[np.int64],
    scores: npt.NDArray[np.float64],
    in_subgroup: BoolArray,
    *,
    min_count: int = 5,
) -> dict[str, tuple[float | None, str | None]]:
    """Subgroup, BPSN and BNSP AUC of one identity, each as ``(value, why it is undefined)``.

    ``in_subgroup`` marks the rows that mention the identity; the rest are the background.
    """
    y = np.asarray(labels, dtype=np.int64)
    s = np.asarray(scores, dtype=np.float64)
    sub = np.asarray(in_subgroup, dtype=bool)
    if not (y.shape == s.shape == sub.shape):
        raise ValueError(f"{y.size} labels, {s.size} scores and {sub.size} subgroup flags")
    pos, neg = y == 1, y == 0
    return {
        "subgroup_auc": _auc_or_reason(
            y,
            s,
            sub,
            positives="harmful rows in the subgroup",
            negatives="benign rows in the subgroup",
            min_count=min_count,
        ),
        "bpsn_auc": _auc_or_reason(
            y,
            s,
            (sub & neg) | (~sub & pos),
            positives="harmful background rows",
            negatives="benign rows in the subgroup",
            min_count=min_count,
        ),
        "bnsp_auc": _auc_or_reason(
            y,
            s,
            (sub & pos) | (~sub & neg),
            positives="harmful rows in the subgroup",
            negatives="benign background rows",
            min_count=min_count,
        ),
    }
