"""Per-group fairness of a binary decision: rates, gaps and ratios, with stratified bootstrap intervals.

Given labels, decisions (and optionally scores) and one or more group columns, :func:`audit`
measures for every group of every column, and for every intersection of all the columns: the
group size, selection rate, true- and false-positive rates, precision and calibration (mean score
against the observed positive rate). Per column it derives the demographic parity ratio (the
selection-rate ratio, "disparate impact") and difference, the TPR and FPR differences, the
equalized odds difference (the larger of the two) and the four-fifths rule's verdict.

Point estimates come from fairlearn's :class:`~fairlearn.metrics.MetricFrame` (confusion counts per
group, so every rate is derived the same way). Intervals come from a seeded bootstrap stratified by
the finest intersection of the group columns: each resample keeps every group's size, so a small
group is never resampled away and its uncertainty is its own.

A group smaller than ``min_group_size`` is *inestimable*: its rates are reported as ``None`` with
the reason, never as 0, and it is left out of ratios and differences (the report lists it). A rate
whose denominator is under ``min_denominator`` (TPR in a group with 3 positives, or none) is
inestimable the same way, and left out of the gaps that use it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from fairlearn.metrics import MetricFrame

from steward.errors import InputError
from steward.evaluate.metrics import average_precision

__all__ = [
    "CONFIDENCE",
    "FOUR_FIFTHS",
    "GROUP_METRICS",
    "MIN_DENOMINATOR",
    "MIN_GROUP_SIZE",
    "RESAMPLES_MAX",
    "SUMMARY_METRICS",
    "AttributeSummary",
    "Estimate",
    "FairnessReport",
    "GroupResult",
    "audit",
]

#: Groups with fewer rows than this are inestimable by default: a rate from 29 people moves by
#: 3 points per person, too coarse to compare against a 0.8 ratio.
MIN_GROUP_SIZE = 30
#: A rate needs at least this many rows in its denominator (a TPR from 3 positives is 0, 1/3, 2/3
#: or 1: no figure to compare).
MIN_DENOMINATOR = 10
#: The four-fifths (80 %) rule of the US Uniform Guidelines on Employee Selection Procedures.
FOUR_FIFTHS = 0.8
CONFIDENCE = 0.95
RESAMPLES_MAX = 10_000
#: Group columns one audit may take (the intersection of all of them is also measured).
GROUP_COLUMNS_MAX = 5
#: Groups (across all columns and the intersection) one audit may report.
GROUPS_MAX = 500
#: The per-group metrics, in report order.
GROUP_METRICS = (
    "selection_rate",
    "tpr",
    "fpr",
    "precision",
    "mean_score",
    "observed_rate",
    "calibration_gap",
)
#: The per-attribute metrics, in report order.
SUMMARY_METRICS = (
    "demographic_parity_ratio",
    "demographic_parity_difference",
    "tpr_difference",
    "fpr_difference",
    "equalized_odds_difference",
)
#: Index of each confusion count (and the score sum) in the per-cell sums.
_TP, _FP, _FN, _TN, _SCORE = range(5)
#: Bootstrap work is chunked so one chunk's row counts stay near this many integers.
_CHUNK_CELLS = 2_000_000

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Estimate:
    """A figure with its bootstrap interval, or ``None`` and the reason it cannot be estimated."""

    value: float | None
    low: float | None = None
    high: float | None = None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form: ``value``, ``ci95`` ([low, high] or null) and, when null, ``inestimable``."""
        out: dict[str, Any] = {
            "value": self.value,
            "ci95": [self.low, self.high] if self.low is not None and self.high is not None else None,
        }
        if self.value is None:
            out["inestimable"] = self.reason
        return out


@dataclass(frozen=True, slots=True)
class GroupResult:
    """One group of one attribute (``sex`` = ``Female``, or ``sex&race`` = ``Female&Black``)."""

    attribute: str
    group: str
    n: int
    positives: int
    predicted_positive: int
    metrics: dict[str, Estimate]
    inestimable: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "attribute": self.attribute,
            "group": self.group,
            "n": self.n,
            "positives": self.positives,
            "predicted_positive": self.predicted_positive,
            "inestimable": self.inestimable,
            "metrics": {k: v.to_dict() for k, v in self.metrics.items()},
        }


@dataclass(frozen=True, slots=True)
class AttributeSummary:
    """Ratios and differences across one attribute's estimable groups."""

    attribute: str
    metrics: dict[str, Estimate]
    excluded: list[str] = field(default_factory=list)

    @property
    def four_fifths(self) -> str:
        """``pass`` when the selection-rate ratio is at least 0.8, ``fail`` under it, else ``inestimable``."""
        ratio = self.metrics["demographic_parity_ratio"].value
        if ratio is None:
            return "inestimable"
        return "pass" if ratio >= FOUR_FIFTHS else "fail"

    @property
    def four_fifths_conclusive(self) -> bool:
        """Whether the ratio's whole interval lies on the verdict's side of 0.8."""
        ratio = self.metrics["demographic_parity_ratio"]
        if ratio.value is None or ratio.low is None or ratio.high is None:
            return False
        return ratio.low >= FOUR_FIFTHS if ratio.value >= FOUR_FIFTHS else ratio.high < FOUR_FIFTHS

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "attribute": self.attribute,
            **{k: v.to_dict() for k, v in self.metrics.items()},
            "four_fifths_rule": {"verdict": self.four_fifths, "conclusive": self.four_fifths_conclusive},
            "excluded_groups": self.excluded,
        }


@dataclass(frozen=True, slots=True)
class FairnessReport:
    """Everything :func:`audit` measured, with the settings that produced it."""

    n: int
    columns: dict[str, Any]
    min_group_size: int
    min_denominator: int
    resamples: int
    seed: int
    confidence: float
    overall: dict[str, float | None]
    groups: list[GroupResult]
    attributes: list[AttributeSummary]

    def to_dict(self) -> dict[str, Any]:
        """The report as ``steward fairness --json`` prints it."""
        return {
            "n": self.n,
            "columns": self.columns,
            "min_group_size": self.min_group_size,
            "min_denominator": self.min_denominator,
            "bootstrap": {
                "resamples": self.resamples,
                "seed": self.seed,
                "confidence": self.confidence,
                "stratified_by": self.columns["groups"],
            },
            "overall": self.overall,
            "attributes": {a.attribute: a.to_dict() for a in self.attributes},
            "groups": [g.to_dict() for g in self.groups],
        }

    def summary(self, attribute: str) -> AttributeSummary:
        """The summary of one attribute; :class:`KeyError` when it was not measured."""
        for item in self.attributes:
            if item.attribute == attribute:
                return item
        raise KeyError(attribute)

    def evidence_document(self) -> dict[str, Any]:
        """The report as a metrics JSON for :func:`steward.govern.evidence.evidence_from_metrics_json`.

        Headline metrics: the overall ``precision``/``recall``/``fpr``/``accuracy``/``auprc`` (the
        names ``steward eval`` uses), then per attribute ``ATTR.demographic_parity_ratio`` and the
        other :data:`SUMMARY_METRICS`, each with ``.ci95_low``/``.ci95_high``, plus
        ``ATTR.four_fifths_pass`` (1 or 0). Slices: ``by_group`` ``{attribute: {group: metrics}}``.
        Inestimable figures are left out, so a gate finds them missing rather than 0.
        """
        metrics: dict[str, float] = {"n": float(self.n)}
        metrics.update({k: v for k, v in self.overall.items() if v is not None})
        for summary in self.attributes:
            prefix = summary.attribute
            for name, est in summary.metrics.items():
                if est.value is None:
                    continue
                metrics[f"{prefix}.{name}"] = est.value
                if est.low is not None and est.high is not None:
                    metrics[f"{prefix}.{name}.ci95_low"] = est.low
                    metrics[f"{prefix}.{name}.ci95_high"] = est.high
            if summary.four_fifths != "inestimable":
                metrics[f"{prefix}.four_fifths_pass"] = 1.0 if summary.four_fifths == "pass" else 0.0
            metrics[f"{prefix}.groups_inestimable"] = float(len(summary.excluded))
        by_group: dict[str, dict[str, dict[str, float]]] = {}
        for group in self.groups:
            row: dict[str, float] = {"n": float(group.n)}
            row.update({k: v.value for k, v in group.metrics.items() if v.value is not None})
            by_group.setdefault(group.attribute, {})[group.group] = row
        return {"metrics": metrics, "by_group": by_group}


# --- counts per group -------------------------------------------------------------------------


def _count(y_true: Any, y_pred: Any) -> float:
    return float(len(y_true))


def _tp(y_true: Any, y_pred: Any) -> float:
    return float(np.sum((np.asarray(y_true) == 1) & (np.asarray(y_pred) == 1)))


def _fp(y_true: Any, y_pred: Any) -> float:
    return float(np.sum((np.asarray(y_true) == 0) & (np.asarray(y_pred) == 1)))


def _fn(y_true: Any, y_pred: Any) -> float:
    return float(np.sum((np.asarray(y_true) == 1) & (np.asarray(y_pred) == 0)))


def _tn(y_true: Any, y_pred: Any) -> float:
    return float(np.sum((np.asarray(y_true) == 0) & (np.asarray(y_pred) == 0)))


def _score_sum(y_true: Any, y_pred: Any, score: Any) -> float:
    return float(np.sum(np.asarray(score, dtype=np.float64)))


def _divide(num: FloatArray, den: FloatArray) -> FloatArray:
    """``num / den`` with NaN (not 0, not inf) where the denominator is zero."""
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _rates(sums: FloatArray, has_score: bool) -> dict[str, FloatArray]:
    """Per-group metrics from counts shaped ``(..., 5)``; NaN marks a zero denominator."""
    tp, fp, fn, tn = (sums[..., i] for i in (_TP, _FP, _FN, _TN))
    n = tp + fp + fn + tn
    out = {
        "selection_rate": _divide(tp + fp, n),
        "tpr": _divide(tp, tp + fn),
        "fpr": _divide(fp, fp + tn),
        "precision": _divide(tp, tp + fp),
    }
    if has_score:
        out["mean_score"] = _divide(sums[..., _SCORE], n)
        out["observed_rate"] = _divide(tp + fn, n)
        out["calibration_gap"] = out["mean_score"] - out["observed_rate"]
    return out


#: What each rate divides by, in words, for the reason an estimate is missing.
_DENOMINATOR_WORDS = {
    "selection_rate": "rows",
    "tpr": "positive labels",
    "fpr": "negative labels",
    "precision": "positive decisions",
    "mean_score": "rows",
    "observed_rate": "rows",
    "calibration_gap": "rows",
}


def _denominators(counts: FloatArray) -> dict[str, FloatArray]:
    """Each rate's denominator per group, from counts shaped ``(groups, 5)``."""
    tp, fp, fn, tn = (counts[:, i] for i in (_TP, _FP, _FN, _TN))
    n = tp + fp + fn + tn
    out = {"selection_rate": n, "tpr": tp + fn, "fpr": fp + tn, "precision": tp + fp}
    return out | {"mean_score": n, "observed_rate": n, "calibration_gap": n}


def _spread(values: FloatArray, usable: npt.NDArray[np.bool_]) -> dict[str, FloatArray]:
    """Ratio (min/max) and difference (max−min) across the usable groups of the last axis.

    NaN where fewer than two usable groups have the rate; groups whose rate is undefined are skipped.
    """
    keep = usable & np.isfinite(values)
    enough = keep.sum(axis=-1) >= 2
    high = np.where(keep, values, -np.inf).max(axis=-1)
    low = np.where(keep, values, np.inf).min(axis=-1)
    high, low = np.where(enough, high, np.nan), np.where(enough, low, np.nan)
    return {"ratio": _divide(low, high), "difference": high - low}


def _summaries(rates: Mapping[str, FloatArray], usable: npt.NDArray[np.bool_]) -> dict[str, FloatArray]:
    """The :data:`SUMMARY_METRICS` across groups (last axis) of one attribute."""
    sel = _spread(rates["selection_rate"], usable)
    tpr = _spread(rates["tpr"], usable)["difference"]
    fpr = _spread(rates["fpr"], usable)["difference"]
    return {
        "demographic_parity_ratio": sel["ratio"],
        "demographic_parity_difference": sel["difference"],
        "tpr_difference": tpr,
        "fpr_difference": fpr,
        # NaN when either difference is: a missing half would understate the gap.
        "equalized_odds_difference": np.maximum(tpr, fpr),
    }


# --- the bootstrap ----------------------------------------------------------------------------


def _cell_sums(
    features: FloatArray, cells: npt.NDArray[np.intp], n_cells: int, resamples: int, seed: int
) -> FloatArray:
    """Resampled per-cell sums, shape ``(resamples, n_cells, 5)``: rows drawn with replacement within each cell."""
    rng = np.random.default_rng(seed)
    out = np.zeros((resamples, n_cells, features.shape[1]))
    for cell in range(n_cells):
        rows = features[cells == cell]
        size = len(rows)
        chunk = max(1, _CHUNK_CELLS // size)
        for start in range(0, resamples, chunk):
            m = min(chunk, resamples - start)
            picks = rng.integers(0, size, size=(m, size))
            counts = np.bincount((picks + (np.arange(m) * size)[:, None]).ravel(), minlength=m * size)
            out[start : start + m, cell, :] = counts.reshape(m, size) @ rows
    return out


def _interval(samples: FloatArray, confidence: float) -> tuple[float | None, float | None]:
    finite = samples[np.isfinite(samples)]
    if finite.size == 0:
        return None, None
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(finite, [tail, 100 - tail])
    return float(low), float(high)


def _estimate(value: float, samples: FloatArray | None, confidence: float, reason: str) -> Estimate:
    if not math.isfinite(value):
        return Estimate(None, reason=reason)
    if samples is None:
        return Estimate(float(value))
    # Plain percentile intervals: for a min/max statistic (a ratio across groups) the interval can
    # sit off-centre, even beside the point estimate; that bias is reported, not hidden.
    low, high = _interval(samples, confidence)
    return Estimate(float(value), low, high)


# --- the audit --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Attribute:
    name: str
    columns: tuple[str, ...]
    groups: list[tuple[str, ...]]
    membership: FloatArray  # (n_cells, n_groups)


def _check_inputs(
    y: npt.NDArray[Any],
    pred: npt.NDArray[Any],
    score: npt.NDArray[Any] | None,
    groups: Mapping[str, npt.NDArray[Any]],
    min_group_size: int,
    resamples: int,
    confidence: float,
) -> None:
    n = len(y)
    if n == 0:
        raise InputError("there are no rows to measure", field="predictions")
    if not groups:
        raise InputError("name at least one group column", field="group")
    if len(groups) > GROUP_COLUMNS_MAX:
        raise InputError(f"at most {GROUP_COLUMNS_MAX} group columns, got {len(groups)}", field="group")
    for name, values in {
        "prediction": pred,
        **({"score": score} if score is not None else {}),
        **groups,
    }.items():
        if len(values) != n:
            raise InputError(f"has {len(values)} values for {n} labels", field=name)
    for name, values in (("label", y), ("prediction", pred)):
        if not np.isin(values, (0, 1)).all():
            raise InputError("must hold only 0 and 1", field=name)
    if not 1 <= min_group_size <= 1_000_000:
        raise InputError(f"must be between 1 and 1000000, got {min_group_size}", field="min_group_size")
    if not 0 <= resamples <= RESAMPLES_MAX:
        raise InputError(f"must be between 0 and {RESAMPLES_MAX}, got {resamples}", field="resamples")
    if not 0.5 <= confidence < 1:
        raise InputError(f"must be at least 0.5 and under 1, got {confidence}", field="confidence")


def audit(
    labels: Sequence[int] | npt.NDArray[Any],
    predictions: Sequence[int] | npt.NDArray[Any],
    groups: Mapping[str, Sequence[str] | npt.NDArray[Any]],
    *,
    scores: Sequence[float] | npt.NDArray[Any] | None = None,
    min_group_size: int = MIN_GROUP_SIZE,
    min_denominator: int = MIN_DENOMINATOR,
    resamples: int = 1000,
    seed: int = 0,
    confidence: float = CONFIDENCE,
    column_names: Mapping[str, str | None] | None = None,
) -> FairnessReport:
    """Measure a binary decision's fairness across ``groups`` (column name -> one value per row).

    ``resamples`` = 0 skips the bootstrap (no intervals). ``column_names`` only labels the report
    (``label``, ``prediction``, ``score``: the columns the values came from).
    """
    y = np.asarray(labels).astype(np.int64)
    pred = np.asarray(predictions).astype(np.int64)
    score = None if scores is None else np.asarray(scores, dtype=np.float64)
    group_values = {name: np.asarray(values).astype(str) for name, values in groups.items()}
    _check_inputs(y, pred, score, group_values, min_group_size, resamples, confidence)
    if not 1 <= min_denominator <= 1_000_000:
        raise InputError(f"must be between 1 and 1000000, got {min_denominator}", field="min_denominator")
    has_score = score is not None
    names = list(group_values)

    # Cells: the finest intersection of all group columns; every group is a union of cells.
    keys = pd.MultiIndex.from_arrays([group_values[c] for c in names], names=names)
    cell_keys, cells = np.unique(np.asarray(keys.codes).T, axis=0, return_inverse=True)
    cells = cells.reshape(-1)
    cell_values = [tuple(keys.levels[i][code] for i, code in enumerate(row)) for row in cell_keys]
    attributes = _attributes(names, cell_values)
    if sum(len(a.groups) for a in attributes) > GROUPS_MAX:
        raise InputError(f"the group columns make more than {GROUPS_MAX} groups", field="group")

    point = {a.name: _point_counts(a, y, pred, score, group_values) for a in attributes}
    boot: dict[str, FloatArray] = {}
    if resamples:
        features = np.stack(
            [
                ((y == 1) & (pred == 1)).astype(np.float64),
                ((y == 0) & (pred == 1)).astype(np.float64),
                ((y == 1) & (pred == 0)).astype(np.float64),
                ((y == 0) & (pred == 0)).astype(np.float64),
                score if score is not None else np.zeros(len(y)),
            ],
            axis=1,
        )
        sums = _cell_sums(features, cells, len(cell_values), resamples, seed)
        boot = {a.name: np.einsum("bkf,kg->bgf", sums, a.membership) for a in attributes}

    groups_out: list[GroupResult] = []
    summaries: list[AttributeSummary] = []
    for attr in attributes:
        counts = point[attr.name]
        sizes = counts[:, :4].sum(axis=1)
        usable = sizes >= min_group_size
        rates = _rates(counts, has_score)
        boot_rates = _rates(boot[attr.name], has_score) if resamples else None
        dens = _denominators(counts)
        # A rate is estimable in a usable group with enough rows in its denominator; the rest are
        # NaN in the point estimates and in every resample, so no ratio or gap ever uses them.
        for name in rates:
            keep = usable & (dens[name] >= min_denominator)
            rates[name] = np.where(keep, rates[name], np.nan)
            if boot_rates is not None:
                boot_rates[name] = np.where(keep[None, :], boot_rates[name], np.nan)
        for g, key in enumerate(attr.groups):
            reason = None if usable[g] else f"{int(sizes[g])} rows, under the minimum of {min_group_size}"
            metrics = {}
            for name, values in rates.items():
                if reason is not None:
                    metrics[name] = Estimate(None, reason=reason)
                    continue
                den = int(dens[name][g])
                why = (
                    f"no {_DENOMINATOR_WORDS[name]}"
                    if den == 0
                    else f"{den} {_DENOMINATOR_WORDS[name]}, under the minimum of {min_denominator}"
                )
                samples = boot_rates[name][:, g] if boot_rates is not None else None
                metrics[name] = _estimate(values[g], samples, confidence, why)
            groups_out.append(
                GroupResult(
                    attribute=attr.name,
                    group="&".join(key),
                    n=int(sizes[g]),
                    positives=int(counts[g, _TP] + counts[g, _FN]),
                    predicted_positive=int(counts[g, _TP] + counts[g, _FP]),
                    metrics=metrics,
                    inestimable=reason,
                )
            )
        point_summary = _summaries(rates, usable)
        boot_summary = _summaries(boot_rates, usable[None, :]) if boot_rates is not None else None
        summaries.append(
            AttributeSummary(
                attribute=attr.name,
                metrics={
                    name: _estimate(
                        float(point_summary[name]),
                        boot_summary[name] if boot_summary is not None else None,
                        confidence,
                        "fewer than two groups with this rate estimable",
                    )
                    for name in SUMMARY_METRICS
                },
                excluded=["&".join(k) for k, ok in zip(attr.groups, usable, strict=True) if not ok],
            )
        )
    return FairnessReport(
        n=len(y),
        columns={**(column_names or {}), "groups": names},
        min_group_size=min_group_size,
        min_denominator=min_denominator,
        resamples=resamples,
        seed=seed,
        confidence=confidence,
        overall=_overall(y, pred, score),
        groups=groups_out,
        attributes=summaries,
    )


def _attributes(names: list[str], cell_values: list[tuple[str, ...]]) -> list[_Attribute]:
    """Each column on its own, then the intersection of all of them (when there are two or more)."""
    picks: list[tuple[int, ...]] = [(i,) for i in range(len(names))]
    if len(names) > 1:
        picks.append(tuple(range(len(names))))
    out = []
    for pick in picks:
        projected = [tuple(cell[i] for i in pick) for cell in cell_values]
        groups = sorted(set(projected))
        index = {g: j for j, g in enumerate(groups)}
        membership = np.zeros((len(cell_values), len(groups)))
        for k, g in enumerate(projected):
            membership[k, index[g]] = 1.0
        out.append(
            _Attribute("&".join(names[i] for i in pick), tuple(names[i] for i in pick), groups, membership)
        )
    return out


def _point_counts(
    attr: _Attribute,
    y: npt.NDArray[np.int64],
    pred: npt.NDArray[np.int64],
    score: FloatArray | None,
    group_values: Mapping[str, npt.NDArray[Any]],
) -> FloatArray:
    """Confusion counts (and score sums) per group of ``attr``, from fairlearn's MetricFrame."""
    metrics: dict[str, Any] = {"tp": _tp, "fp": _fp, "fn": _fn, "tn": _tn, "n": _count}
    params: dict[str, dict[str, Any]] = {}
    if score is not None:
        metrics["score_sum"] = _score_sum
        params["score_sum"] = {"score": score}
    frame = MetricFrame(
        metrics=metrics,
        y_true=y,
        y_pred=pred,
        sensitive_features=pd.DataFrame({c: group_values[c] for c in attr.columns}),
        sample_params=params or None,
    )
    by_group = frame.by_group
    out = np.zeros((len(attr.groups), 5))
    for g, key in enumerate(attr.groups):
        row = by_group.loc[key if len(key) > 1 else key[0]]
        out[g, _TP], out[g, _FP], out[g, _FN], out[g, _TN] = (float(row[k]) for k in ("tp", "fp", "fn", "tn"))
        out[g, _SCORE] = float(row["score_sum"]) if score is not None else 0.0
    return out


def _overall(
    y: npt.NDArray[np.int64], pred: npt.NDArray[np.int64], score: FloatArray | None
) -> dict[str, float | None]:
    """Headline figures under the names ``steward eval`` uses, so the same thresholds apply."""
    sums = np.array(
        [
            float(np.sum((y == 1) & (pred == 1))),
            float(np.sum((y == 0) & (pred == 1))),
            float(np.sum((y == 1) & (pred == 0))),
            float(np.sum((y == 0) & (pred == 0))),
            0.0,
        ]
    )
    rates = _rates(sums, False)

    def value(x: FloatArray) -> float | None:
        return float(x) if np.isfinite(x) else None

    precision, recall = value(rates["precision"]), value(rates["tpr"])
    f1 = None
    if precision is not None and recall is not None:
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "accuracy": float(np.mean(y == pred)),
        "selection_rate": value(rates["selection_rate"]),
        "base_rate": float(np.mean(y)),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "fpr": value(rates["fpr"]),
        "auprc": average_precision(y.tolist(), score.tolist()) if score is not None else None,
    }
