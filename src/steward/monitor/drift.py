"""Drift of the inputs against a reference window: PSI and a two-sample KS test, over histograms.

Compared, between a reference window the user picks and a current window:

* **text length** (every record keeps it);
* **language mix**: the audit trail names a language only for text outside the supported
  languages (findings of type ``UNSUPPORTED_LANGUAGE``, whose details name the detected
  language); every other record counts as ``supported``. So a shift from English to
  French shows, a shift between two supported languages does not;
* **each detector's score distribution**, per finding type: the record keeps the score of
  every finding it reports, and a finding is reported only when its rule acted or was
  report-only. Scores below a filter's threshold are not kept, so this is the distribution
  of *reported* scores (each record's highest of that type), and the share of records with
  such a finding is compared too (``share``).

New high-frequency terms are not computed: the audit trail keeps no text (matched text is
masked unless a policy sets ``audit.keep_matched_text``).

**Histograms, not samples.** Text lengths are counted in buckets 5% apart
(:data:`~steward.store.monitor.LENGTH_EDGES`) and scores in buckets 0.01 wide
(:data:`~steward.store.monitor.SCORE_BUCKETS`), by the database
(:func:`~steward.store.monitor.drift_counts`) or from the hourly rollups that hold the same
counts (:func:`~steward.store.rollups.rollup_drift`): every record of both windows counts, and a
window of whole rolled hours costs a few rows per hour instead of a pass over its records; the
two ways give the same answer. Means are exact (the rollups keep sums).

**Population stability index**: ten bins that end at the buckets where the reference's
deciles fall (for the language mix, one bin per language); an empty bin counts as 0.0001 of its
side so the log is finite. PSI < 0.1: stable; 0.1–0.25: moderate shift; ≥ 0.25: significant
shift (the usual credit-scoring rule of thumb). **KS**: the two-sample statistic, the largest gap
between the two distribution functions at the bucket edges (within one bucket of the exact
statistic over raw values), with the asymptotic p-value of :func:`ks_test`; a p-value under 0.01
reads as a shift. A side with fewer than :data:`MIN_SAMPLE` values is reported as too small, not
scored.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from steward.errors import InputError
from steward.store.monitor import AuditScope, DriftCounts, drift_counts
from steward.store.rollups import rolled_span, rollup_drift

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

__all__ = [
    "KS_ALPHA",
    "MIN_SAMPLE",
    "PSI_BINS",
    "PSI_MODERATE",
    "PSI_SIGNIFICANT",
    "categorical_psi",
    "drift_report",
    "ks_test",
    "psi",
    "psi_level",
    "window_counts",
]

PSI_BINS = 10
PSI_MODERATE = 0.1
PSI_SIGNIFICANT = 0.25
KS_ALPHA = 0.01
MIN_SAMPLE = 20
_EPS = 1e-4
#: A histogram: counts per bucket, the same buckets on both sides.
Counts = Sequence[float] | np.ndarray[Any, Any]


def psi_level(value: float) -> str:
    """``stable``, ``moderate`` or ``significant`` by the 0.1 / 0.25 thresholds."""
    if value >= PSI_SIGNIFICANT:
        return "significant"
    if value >= PSI_MODERATE:
        return "moderate"
    return "stable"


def _psi_from_shares(ref: np.ndarray[Any, Any], cur: np.ndarray[Any, Any]) -> float:
    ref = np.clip(ref, _EPS, None)
    cur = np.clip(cur, _EPS, None)
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def _sides(reference: Counts, current: Counts) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    ref = np.asarray(reference, dtype=float)
    cur = np.asarray(current, dtype=float)
    if ref.shape != cur.shape or ref.ndim != 1:
        raise InputError("the two histograms must have the same buckets", field="window")
    if ref.sum() <= 0 or cur.sum() <= 0:
        raise InputError("needs values on both sides", field="window")
    return ref, cur


def psi(reference: Counts, current: Counts, *, bins: int = PSI_BINS) -> float:
    """PSI of ``current`` against ``reference`` (counts over the same ordered buckets), over
    ``bins`` bins that end at the buckets where the reference's quantiles fall."""
    ref, cur = _sides(reference, current)
    reached = np.cumsum(ref) / ref.sum()
    ends = np.searchsorted(reached, np.linspace(0, 1, bins + 1)[1:-1] - 1e-12, side="left")
    starts = np.unique(np.concatenate(([0], ends + 1)))
    starts = starts[starts < ref.size]
    ref_bins, cur_bins = np.add.reduceat(ref, starts), np.add.reduceat(cur, starts)
    return round(_psi_from_shares(ref_bins / ref.sum(), cur_bins / cur.sum()), 4)


def categorical_psi(reference: Counter[str], current: Counter[str]) -> float:
    """PSI over categories (one bin each)."""
    keys = sorted(set(reference) | set(current))
    ref_total = sum(reference.values()) or 1
    cur_total = sum(current.values()) or 1
    ref = np.array([reference[k] / ref_total for k in keys])
    cur = np.array([current[k] / cur_total for k in keys])
    return round(_psi_from_shares(ref, cur), 4)


def ks_test(reference: Counts, current: Counts) -> tuple[float, float]:
    """The two-sample KS statistic of two histograms over the same ordered buckets, and its
    asymptotic p-value.

    The statistic is the largest gap between the two distribution functions at the bucket
    edges (exact when every distinct value has a bucket of its own). The p-value is the
    Kolmogorov distribution's tail at ``(sqrt(ne) + 0.12 + 0.11 / sqrt(ne)) * D`` with
    ``ne = n * m / (n + m)`` (Stephens' approximation, as in *Numerical Recipes*): close to
    exact once ``ne`` is above about 4, which :data:`MIN_SAMPLE` guarantees; the tests compare
    it with ``scipy.stats.ks_2samp``.
    """
    ref, cur = _sides(reference, current)
    n, m = ref.sum(), cur.sum()
    statistic = float(np.max(np.abs(np.cumsum(ref) / n - np.cumsum(cur) / m)))
    ne = n * m / (n + m)
    lam = (math.sqrt(ne) + 0.12 + 0.11 / math.sqrt(ne)) * statistic
    return round(statistic, 4), _kolmogorov_tail(lam)


def _kolmogorov_tail(lam: float) -> float:
    """P(K > lam) for the Kolmogorov distribution: 2 * sum((-1)^(k-1) * exp(-2 k^2 lam^2))."""
    if lam < 0.2:
        return 1.0
    total = 0.0
    for k in range(1, 101):
        term = 2.0 * (-1) ** (k - 1) * math.exp(-2.0 * k * k * lam * lam)
        total += term
        if abs(term) < 1e-12:
            break
    return min(1.0, max(0.0, total))


def _numeric(
    name: str,
    ref: np.ndarray[Any, Any],
    cur: np.ndarray[Any, Any],
    *,
    means: tuple[float | None, float | None],
) -> dict[str, Any]:
    """PSI and KS of one binned feature (``ref``/``cur``: counts over the same buckets), or why not."""
    ref_n, cur_n = int(ref.sum()), int(cur.sum())
    out: dict[str, Any] = {"feature": name, "referenceN": ref_n, "currentN": cur_n}
    if ref_n < MIN_SAMPLE or cur_n < MIN_SAMPLE:
        out["status"] = f"too few values (need {MIN_SAMPLE} on each side)"
        return out
    value = psi(ref, cur)
    statistic, p_value = ks_test(ref, cur)
    out.update(
        {
            "psi": value,
            "psiLevel": psi_level(value),
            "ks": statistic,
            "ksPValue": p_value,
            "ksShift": p_value < KS_ALPHA,
            "referenceMean": None if means[0] is None else round(means[0], 4),
            "currentMean": None if means[1] is None else round(means[1], 4),
        }
    )
    out["status"] = "drift" if out["psiLevel"] != "stable" or out["ksShift"] else "stable"
    return out


def _mean(total: float, n: int) -> float | None:
    return total / n if n else None


def _language_mix(counts: DriftCounts) -> Counter[str]:
    """Records per unsupported language named, and ``supported`` for the records with none."""
    mix = Counter(counts.languages)
    mix["supported"] = counts.records - counts.foreign
    return +mix


def window_counts(
    sessions: sessionmaker[Session], since: datetime, until: datetime, scope: AuditScope | None = None
) -> DriftCounts:
    """What drift compares over ``[since, until)``: the whole hours already rolled up from their
    rollups, the rest (a part hour at each end, hours not rolled yet) from the records."""
    scope = scope or AuditScope()
    span = rolled_span(sessions, since, until)
    total = DriftCounts()
    edges = [(since, until)] if span is None else [(since, span.first), (span.end, until)]
    for start, end in edges:
        if start < end:
            for counts in drift_counts(sessions, since=start, until=end, scope=scope).values():
                total.add(counts)
    if span is not None:
        total.add(rollup_drift(sessions, span, scope=scope))
    return total


def drift_report(
    sessions: sessionmaker[Session],
    *,
    reference: tuple[datetime, datetime],
    current: tuple[datetime, datetime],
    scope: AuditScope | None = None,
) -> dict[str, Any]:
    """Drift of ``current`` against ``reference`` (each a ``(since, until)`` pair), as a JSON-ready dict."""
    scope = scope or AuditScope()
    for name, (start, end) in (("reference", reference), ("current", current)):
        if start >= end:
            raise InputError("must start before it ends", field=name)
    ref = window_counts(sessions, reference[0], reference[1], scope)
    cur = window_counts(sessions, current[0], current[1], scope)
    features = [
        _numeric(
            "textLength",
            ref.lengths,
            cur.lengths,
            means=(_mean(ref.length_sum, ref.records), _mean(cur.length_sum, cur.records)),
        )
    ]
    ref_mix, cur_mix = _language_mix(ref), _language_mix(cur)
    lang: dict[str, Any] = {"feature": "languageMix", "reference": dict(ref_mix), "current": dict(cur_mix)}
    if ref.records >= MIN_SAMPLE and cur.records >= MIN_SAMPLE:
        lang["psi"] = categorical_psi(ref_mix, cur_mix)
        lang["psiLevel"] = psi_level(lang["psi"])
        lang["status"] = "drift" if lang["psiLevel"] != "stable" else "stable"
    else:
        lang["status"] = f"too few records (need {MIN_SAMPLE} on each side)"
    features.append(lang)
    for kind in sorted(set(ref.scores) | set(cur.scores)):
        ref_scores, cur_scores = ref.score_counts(kind), cur.score_counts(kind)
        ref_n, cur_n = int(ref_scores.sum()), int(cur_scores.sum())
        entry = _numeric(
            f"score:{kind}",
            ref_scores,
            cur_scores,
            means=(_mean(ref.score_sums.get(kind, 0.0), ref_n), _mean(cur.score_sums.get(kind, 0.0), cur_n)),
        )
        entry["referenceShare"] = round(ref_n / ref.records, 4) if ref.records else None
        entry["currentShare"] = round(cur_n / cur.records, 4) if cur.records else None
        features.append(entry)
    return {
        "reference": {
            "since": reference[0].isoformat(),
            "until": reference[1].isoformat(),
            "records": ref.records,
        },
        "current": {
            "since": current[0].isoformat(),
            "until": current[1].isoformat(),
            "records": cur.records,
        },
        "method": {
            "histograms": "text lengths in buckets 5% apart from 1 character, scores in buckets 0.01 wide; "
            "every record of both windows counts",
            "psiBins": f"{PSI_BINS} bins ending at the buckets of the reference's deciles; languages one bin "
            f"each; empty bins count as {_EPS}",
            "psiThresholds": {"moderate": PSI_MODERATE, "significant": PSI_SIGNIFICANT},
            "ks": f"two-sample KS at the bucket edges, asymptotic p-value (Stephens); shift when p < {KS_ALPHA}",
            "minSample": MIN_SAMPLE,
            "scores": "each record's highest reported score per finding type: scores below a rule's "
            "threshold are not kept in the audit trail",
        },
        "features": features,
        "gaps": ["new high-frequency terms: not computed; the audit trail keeps no text"],
    }
