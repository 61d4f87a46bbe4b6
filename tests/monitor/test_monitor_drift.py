"""Drift: PSI and KS over histograms, and a drift report over the audit trail (from the records and
from the hourly rollups, which must agree) on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from monitor_helpers import finding, new_gid, record, store
from scipy.stats import ks_2samp
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from steward.errors import InputError
from steward.monitor.drift import categorical_psi, drift_report, ks_test, psi, psi_level
from steward.store.monitor import AuditScope

BASE = datetime(2026, 4, 1, tzinfo=UTC)


def _histograms(a: np.ndarray, b: np.ndarray, bins: int = 400) -> tuple[np.ndarray, np.ndarray]:
    edges = np.linspace(min(a.min(), b.min()), max(a.max(), b.max()), bins + 1)
    return np.histogram(a, edges)[0], np.histogram(b, edges)[0]


def test_psi_is_small_for_the_same_distribution_and_large_for_a_shift() -> None:
    rng = np.random.default_rng(1)
    ref = rng.normal(100, 10, 5000)
    assert psi(*_histograms(ref, rng.normal(100, 10, 5000))) < 0.1
    assert 0.1 <= psi(*_histograms(ref, rng.normal(104, 10, 5000))) < 0.25
    assert psi(*_histograms(ref, rng.normal(130, 10, 5000))) >= 0.25
    assert [psi_level(v) for v in (0.05, 0.1, 0.24, 0.25)] == [
        "stable",
        "moderate",
        "moderate",
        "significant",
    ]


def test_psi_bins_end_where_the_reference_deciles_fall() -> None:
    # ten equal buckets of the reference: each is a decile bin; moving one bucket's share is all PSI sees
    ref = np.full(10, 100)
    cur = ref.copy()
    cur[0], cur[9] = 50, 150
    expected = (0.05 - 0.1) * np.log(0.05 / 0.1) + (0.15 - 0.1) * np.log(0.15 / 0.1)
    assert psi(ref, cur) == pytest.approx(expected, abs=1e-4)


def test_categorical_psi_sees_a_new_language() -> None:
    same = categorical_psi(Counter(supported=90, fr=10), Counter(supported=89, fr=11))
    shifted = categorical_psi(Counter(supported=90, fr=10), Counter(supported=50, fr=10, de=40))
    assert same < 0.1 <= 0.25 <= shifted


@pytest.mark.parametrize(("n", "m", "shift"), [(30, 40, 0.0), (200, 300, 0.3), (1000, 800, 0.1)])
def test_ks_over_a_bucket_per_value_matches_scipy(n: int, m: int, shift: float) -> None:
    rng = np.random.default_rng(n)
    a, b = rng.normal(0, 1, n).round(3), rng.normal(shift, 1, m).round(3)
    values = np.unique(np.concatenate([a, b]))
    counts_a = np.bincount(np.searchsorted(values, a), minlength=values.size)
    counts_b = np.bincount(np.searchsorted(values, b), minlength=values.size)
    statistic, p_value = ks_test(counts_a, counts_b)
    expected = ks_2samp(a, b, method="asymp")
    assert statistic == pytest.approx(expected.statistic, abs=1e-4)
    assert p_value == pytest.approx(expected.pvalue, abs=0.02)


def test_empty_or_mismatched_sides_are_refused() -> None:
    with pytest.raises(InputError, match="both sides"):
        psi([0, 0], [1, 0])
    with pytest.raises(InputError, match="both sides"):
        ks_test([1, 0], [0, 0])
    with pytest.raises(InputError, match="same buckets"):
        ks_test([1, 0], [1, 0, 0])


def test_drift_report_finds_longer_texts_new_languages_and_higher_scores(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    gid = new_gid("d")
    rng = np.random.default_rng(3)
    ref_start, cur_start = BASE, BASE + timedelta(days=1)
    records = []
    for i in range(300):
        score = float(rng.uniform(0.6, 0.8))
        found = [finding("contentPolicy", "HATE", "BLOCKED", score)] if i % 3 == 0 else []
        records.append(
            record(
                gid, ref_start + timedelta(seconds=i), text_length=int(rng.normal(200, 20)), findings=found
            )
        )
    for i in range(300):
        found = []
        if i % 3 == 0:
            found.append(finding("contentPolicy", "HATE", "BLOCKED", float(rng.uniform(0.85, 1.0))))
        if i % 2 == 0:
            found.append(finding("contentPolicy", "UNSUPPORTED_LANGUAGE", "NONE", 0.9, language="fr"))
        records.append(
            record(
                gid, cur_start + timedelta(seconds=i), text_length=int(rng.normal(400, 20)), findings=found
            )
        )
    store(engine, records)
    report = drift_report(
        sessions,
        reference=(ref_start, ref_start + timedelta(hours=1)),
        current=(cur_start, cur_start + timedelta(hours=1)),
        scope=AuditScope(guardrail_id=gid),
    )
    assert report["reference"]["records"] == report["current"]["records"] == 300
    features = {f["feature"]: f for f in report["features"]}
    length = features["textLength"]
    assert length["psiLevel"] == "significant" and length["ksShift"] is True and length["status"] == "drift"
    langs = features["languageMix"]
    assert langs["reference"] == {"supported": 300}
    assert langs["current"] == {"supported": 150, "fr": 150}
    assert langs["psiLevel"] == "significant"
    hate = features["score:HATE"]
    assert hate["ksShift"] is True and hate["referenceShare"] == hate["currentShare"] == pytest.approx(
        1 / 3, abs=0.01
    )
    assert "text" in report["gaps"][0]


def test_drift_report_calls_a_stable_period_stable(engine: Engine, sessions: sessionmaker[Session]) -> None:
    gid = new_gid("d")
    rng = np.random.default_rng(4)
    store(
        engine,
        [
            record(gid, BASE + timedelta(days=d, seconds=i), text_length=int(rng.normal(200, 20)))
            for d in (0, 1)
            for i in range(300)
        ],
    )
    report = drift_report(
        sessions,
        reference=(BASE, BASE + timedelta(hours=1)),
        current=(BASE + timedelta(days=1), BASE + timedelta(days=1, hours=1)),
        scope=AuditScope(guardrail_id=gid),
    )
    features = {f["feature"]: f for f in report["features"]}
    assert features["textLength"]["status"] == "stable"
    assert features["languageMix"]["status"] == "stable"


def test_too_few_records_are_reported_not_scored(sessions: sessionmaker[Session]) -> None:
    report = drift_report(
        sessions,
        reference=(BASE, BASE + timedelta(hours=1)),
        current=(BASE + timedelta(hours=1), BASE + timedelta(hours=2)),
        scope=AuditScope(guardrail_id=new_gid("none")),
    )
    assert "too few" in report["features"][0]["status"]
    assert "psi" not in report["features"][0]
    with pytest.raises(InputError, match="reference"):
        drift_report(sessions, reference=(BASE, BASE), current=(BASE, BASE + timedelta(hours=1)))
