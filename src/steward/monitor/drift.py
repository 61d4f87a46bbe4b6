"""Drift of the inputs against a reference window: PSI and a two-sample KS test.

Compared, between a reference window the user picks and a current window:

* **text length** (every record keeps it);
* **language mix**: the audit trail names a language only for text outside the supported
  languages (findings of type ``UNSUPPORTED_LANGUAGE``, whose details name the detected
  language); every other record counts as ``supported``. So a shift from English to
  French shows, a shift between two supported languages does not;
* **each detector's score distribution**, per finding type: the record keeps the score of
  every finding it reports, and a finding is reported only when its rule acted or was
  report-only. Scores below a filter's threshold are not kept, so this is the distribution
  of *reported* scores, and the share of records with such a finding is compared too
  (``share``).

New high-frequency terms are not computed: the audit trail keeps no text (matched text is
masked unless a policy sets ``audit.keep_matched_text``).

**Population stability index**: ten bins at the reference's deciles (for the language mix,
one bin per language); an empty bin counts as 0.0001 of its side so the log is finite.
PSI < 0.1: stable; 0.1–0.25: moderate shift; ≥ 0.25: significant shift (the usual
credit-scoring rule of thumb). **KS**: the two-sample statistic, exact, with the asymptotic
p-value of :func:`ks_test`; a p-value under 0.01 reads as a shift. A sample
with fewer than :data:`MIN_SAMPLE` values is reported as too small, not scored.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from steward.errors import InputError
from steward.store.monitor import AuditScope, drift_sample

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
]

PSI_BINS = 10
PSI_MODERATE = 0.1
PSI_SIGNIFICANT = 0.25
KS_ALPHA = 0.01
MIN_SAMPLE = 20
_EPS = 1e-4
LANGUAGE_TYPE = "UNSUPPORTED_LANGUAGE"
#: A sample: a list of numbers or a numpy array.
Values = Sequence[float] | np.ndarray[Any, Any]


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


def psi(reference: Values, current: Values, *, bins: int = PSI_BINS) -> float:
    """PSI of ``current`` against ``reference`` over bins at the reference's quantiles."""
    ref = np.asarray(reference, dtype=float)
    cur = np.asarray(current, dtype=float)
    if ref.size == 0 or cur.size == 0:
        raise InputError("needs values on both sides", field="window")
    edges = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)[1:-1]))
    ref_counts = np.bincount(np.searchsorted(edges, ref, side="right"), minlength=edges.size + 1)
    cur_counts = np.bincount(np.searchsorted(edges, cur, side="right"), minlength=edges.size + 1)
    return round(_psi_from_shares(ref_counts / ref.size, cur_counts / cur.size), 4)


def categorical_psi(reference: Counter[str], current: Counter[str]) -> float:
    """PSI over categories (one bin each)."""
    keys = sorted(set(reference) | set(current))
    ref_total = sum(reference.values()) or 1
    cur_total = sum(current.values()) or 1
    ref = np.array([reference[k] / ref_total for k in keys])
    cur = np.array([current[k] / cur_total for k in keys])
    return round(_psi_from_shares(ref, cur), 4)


def ks_test(reference: Values, current: Values) -> tuple[float, float]:
    """The two-sample KS statistic and its asymptotic p-value.

    The statistic is exact (the largest gap between the two empirical distribution
    functions). The p-value is the Kolmogorov distribution's tail at
    ``(sqrt(ne) + 0.12 + 0.11 / sqrt(ne)) * D`` with ``ne = n * m / (n + m)`` (Stephens'
    approximation, as in *Numerical Recipes*): close to exact once ``ne`` is above about 4,
    which :data:`MIN_SAMPLE` guarantees; the tests compare it with ``scipy.stats.ks_2samp``.
    """
    a = np.sort(np.asarray(reference, dtype=float))
    b = np.sort(np.asarray(current, dtype=float))
    if a.size == 0 or b.size == 0:
        raise InputError("needs values on both sides", field="window")
    pooled = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, pooled, side="right") / a.size
    cdf_b = np.searchsorted(b, pooled, side="right") / b.size
    statistic = float(np.max(np.abs(cdf_a - cdf_b)))
    ne = a.size * b.size / (a.size + b.size)
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


def _numeric(name: str, ref: Sequence[float], cur: Sequence[float]) -> dict[str, Any]:
    out: dict[str, Any] = {"feature": name, "referenceN": len(ref), "currentN": len(cur)}
    if len(ref) < MIN_SAMPLE or len(cur) < MIN_SAMPLE:
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
            "referenceMean": round(float(np.mean(ref)), 4),
            "currentMean": round(float(np.mean(cur)), 4),
        }
    )
    out["status"] = "drift" if out["psiLevel"] != "stable" or out["ksShift"] else "stable"
    return out


def _languages(findings: list[list[dict[str, Any]]], total: int) -> Counter[str]:
    """Records per detected unsupported language; the other ``total`` records are ``supported``."""
    mix: Counter[str] = Counter()
    foreign = 0
    for record in findings:
        langs = {
            str((f.get("details") or {}).get("language") or "unknown")
            for f in record
            if f.get("type") == LANGUAGE_TYPE
        }
        mix.update(langs)
        foreign += 1 if langs else 0
    mix["supported"] = total - foreign
    return +mix


def _scores(findings: list[list[dict[str, Any]]]) -> dict[str, list[float]]:
    """Per finding type, each record's highest reported score."""
    out: dict[str, list[float]] = {}
    for record in findings:
        best: dict[str, float] = {}
        for f in record:
            kind = str(f.get("type", ""))
            score = f.get("score")
            if kind and isinstance(score, int | float):
                best[kind] = max(best.get(kind, 0.0), float(score))
        for kind, score in best.items():
            out.setdefault(kind, []).append(score)
    return out


def drift_report(
    sessions: sessionmaker[Session],
    *,
    reference: tuple[datetime, datetime],
    current: tuple[datetime, datetime],
    scope: AuditScope | None = None,
    limit: int = 100_000,
) -> dict[str, Any]:
    """Drift of ``current`` against ``reference`` (each a ``(since, until)`` pair), as a JSON-ready dict.

    Each window contributes at most ``limit`` records (its newest).
    """
    scope = scope or AuditScope()
    for name, (start, end) in (("reference", reference), ("current", current)):
        if start >= end:
            raise InputError("must start before it ends", field=name)
    ref_len, ref_findings = drift_sample(
        sessions, since=reference[0], until=reference[1], scope=scope, limit=limit
    )
    cur_len, cur_findings = drift_sample(
        sessions, since=current[0], until=current[1], scope=scope, limit=limit
    )
    features = [_numeric("textLength", ref_len, cur_len)]
    ref_mix, cur_mix = _languages(ref_findings, len(ref_len)), _languages(cur_findings, len(cur_len))
    lang: dict[str, Any] = {
        "feature": "languageMix",
        "reference": dict(ref_mix),
        "current": dict(cur_mix),
    }
    if len(ref_len) >= MIN_SAMPLE and len(cur_len) >= MIN_SAMPLE:
        lang["psi"] = categorical_psi(ref_mix, cur_mix)
        lang["psiLevel"] = psi_level(lang["psi"])
        lang["status"] = "drift" if lang["psiLevel"] != "stable" else "stable"
    else:
        lang["status"] = f"too few records (need {MIN_SAMPLE} on each side)"
    features.append(lang)
    ref_scores, cur_scores = _scores(ref_findings), _scores(cur_findings)
    for kind in sorted(set(ref_scores) | set(cur_scores)):
        entry = _numeric(f"score:{kind}", ref_scores.get(kind, []), cur_scores.get(kind, []))
        entry["referenceShare"] = round(len(ref_scores.get(kind, [])) / len(ref_len), 4) if ref_len else None
        entry["currentShare"] = round(len(cur_scores.get(kind, [])) / len(cur_len), 4) if cur_len else None
        features.append(entry)
    return {
        "reference": {
            "since": reference[0].isoformat(),
            "until": reference[1].isoformat(),
            "records": len(ref_len),
        },
        "current": {
            "since": current[0].isoformat(),
            "until": current[1].isoformat(),
            "records": len(cur_len),
        },
        "method": {
            "psiBins": f"{PSI_BINS} bins at the reference deciles; languages one bin each; empty bins count as {_EPS}",
            "psiThresholds": {"moderate": PSI_MODERATE, "significant": PSI_SIGNIFICANT},
            "ks": f"two-sample KS, asymptotic p-value (Stephens); shift when p < {KS_ALPHA}",
            "minSample": MIN_SAMPLE,
            "scores": "reported findings only: scores below a rule's threshold are not kept in the audit trail",
        },
        "features": features,
        "gaps": ["new high-frequency terms: not computed; the audit trail keeps no text"],
    }
