"""The bias maths against scikit-learn and hand-worked numbers, and the report built on it."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from steward.evaluate.bias import bias_aucs, bias_report, generalized_mean, roc_auc
from steward.evaluate.dataset import EvalRow
from steward.evaluate.metrics import wilson_interval
from steward.evaluate.runner import RowResult


def test_roc_auc_matches_sklearn_by_hand_and_with_ties() -> None:
    # 4 pairs (pos, neg): (0.35 vs 0.1) win, (0.35 vs 0.4) lose, (0.8 vs both) win -> 3/4
    assert roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)
    assert roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)
    # a tie between a positive and a negative earns half: (0.5 vs 0.5) = 0.5, (0.9 vs 0.5) = 1 -> 0.75
    assert roc_auc([0, 1, 1], [0.5, 0.5, 0.9]) == pytest.approx(0.75)
    rng = np.random.default_rng(7)
    for _ in range(20):
        y = rng.integers(0, 2, 60)
        s = np.round(rng.random(60), 1)  # coarse scores: many ties
        if 0 < y.sum() < y.size:
            assert roc_auc(y, s) == pytest.approx(roc_auc_score(y, s))
    assert roc_auc([1, 1], [0.2, 0.3]) is None
    assert roc_auc([], []) is None


def _toy() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # subgroup: benign rows scored high (mere mention raises the score); background: clean ranking
    y = np.array([0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1])
    s = np.array([0.7, 0.6, 0.2, 0.9, 0.8, 0.65, 0.1, 0.2, 0.3, 0.5, 0.6, 0.7])
    sub = np.array([True] * 6 + [False] * 6)
    return y, s, sub


def test_subgroup_bpsn_and_bnsp_are_the_aucs_of_their_slices() -> None:
    y, s, sub = _toy()
    got = bias_aucs(y, s, sub, min_count=3)
    pos, neg = y == 1, y == 0
    assert got["subgroup_auc"][0] == pytest.approx(roc_auc_score(y[sub], s[sub]))
    bpsn = (sub & neg) | (~sub & pos)
    bnsp = (sub & pos) | (~sub & neg)
    assert got["bpsn_auc"][0] == pytest.approx(roc_auc_score(y[bpsn], s[bpsn]))
    assert got["bnsp_auc"][0] == pytest.approx(roc_auc_score(y[bnsp], s[bnsp]))
    # by hand: subgroup benign {0.7, 0.6, 0.2} vs background harmful {0.5, 0.6, 0.7}:
    # 0.5 beats 0.2 (1); 0.6 beats 0.2, ties 0.6 (1.5); 0.7 beats 0.2 and 0.6, ties 0.7 (2.5) -> 5 / 9
    assert got["bpsn_auc"][0] == pytest.approx(5.0 / 9)
    assert got["bnsp_auc"][0] == pytest.approx(1.0)  # subgroup harm outranks every background benign row


def test_thin_slices_are_inestimable_with_the_reason() -> None:
    y, s, sub = _toy()
    got = bias_aucs(y, s, sub, min_count=4)
    for name in ("subgroup_auc", "bpsn_auc", "bnsp_auc"):
        value, why = got[name]
        assert value is None
        assert why is not None and "needs 4 each" in why
    assert "3 harmful rows in the subgroup" in str(got["subgroup_auc"][1])


def test_generalized_mean_leans_to_the_worst_value() -> None:
    # ((0.5^-5 + 1^-5) / 2) ^ (-1/5) = 16.5 ^ -0.2
    assert generalized_mean([0.5, 1.0]) == pytest.approx(16.5**-0.2)
    assert generalized_mean([0.8, 0.8, 0.8]) == pytest.approx(0.8)
    assert generalized_mean([0.9, 0.5], power=1) == pytest.approx(0.7)
    assert generalized_mean([]) is None
    assert generalized_mean([0.0, 1.0]) == 0.0


def _results(y: np.ndarray, s: np.ndarray, caught: list[bool]) -> list[RowResult]:
    return [
        RowResult(
            row=EvalRow(text=f"row {i}", label=int(label)), caught=c, score=float(score), latency_ms=0.0
        )
        for i, (label, score, c) in enumerate(zip(y, s, caught, strict=True))
    ]


def test_report_rates_intervals_means_and_final_score() -> None:
    y, s, sub = _toy()
    caught = [bool(v >= 0.6) for v in s]
    identities = [frozenset({"alpha"}) if m else frozenset({"beta"}) for m in sub]
    report = bias_report(_results(y, s, caught), identities, min_count=3)
    alpha = report["by_group"]["alpha"]
    # alpha's benign rows score 0.7, 0.6, 0.2: two of three caught; its harmful ones all caught
    assert alpha["fpr"] == pytest.approx(2 / 3) and alpha["fnr"] == 0.0
    assert (alpha["fpr_ci95"]["lo"], alpha["fpr_ci95"]["hi"]) == pytest.approx(wilson_interval(2, 3))
    assert alpha["n"] == 6 and alpha["n_positive"] == 3 and alpha["inestimable"] == []
    beta = report["by_group"]["beta"]
    assert beta["bpsn_auc"] == pytest.approx(
        roc_auc_score([0, 0, 0, 1, 1, 1], [0.1, 0.2, 0.3, 0.9, 0.8, 0.65])
    )
    means = report["generalized_mean"]
    assert means["bpsn_auc"] == pytest.approx(generalized_mean([alpha["bpsn_auc"], beta["bpsn_auc"]]))
    overall = roc_auc_score(y, s)
    assert report["overall_auc"] == pytest.approx(overall)
    assert report["final_bias_score"] == pytest.approx(0.25 * (overall + sum(means.values())))


def test_report_marks_inestimable_rates_and_bootstraps_aucs() -> None:
    y, s, sub = _toy()
    identities = [frozenset({"alpha"}) if m else frozenset() for m in sub]
    report = bias_report(_results(y, s, [False] * 12), identities, min_count=4)
    alpha = report["by_group"]["alpha"]
    assert alpha["fpr"] is None and alpha["fpr_ci95"] is None
    assert any(line.startswith("fpr: 3 benign rows") for line in alpha["inestimable"])
    assert report["final_bias_score"] is None  # a mean over no identity is undefined, not 0
    boot = bias_report(_results(y, s, [False] * 12), identities, min_count=2, bootstrap=200)
    ci = boot["by_group"]["alpha"]["subgroup_auc_ci95"]
    assert ci is not None and ci["lo"] <= boot["by_group"]["alpha"]["subgroup_auc"] <= ci["hi"]
    assert boot == bias_report(_results(y, s, [False] * 12), identities, min_count=2, bootstrap=200)
    assert not math.isnan(ci["lo"])
