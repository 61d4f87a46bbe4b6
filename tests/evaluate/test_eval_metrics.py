"""Metrics against values worked out by hand (and the conventions for undefined cases)."""

from __future__ import annotations

import pytest
from scipy.stats import binomtest

from steward.evaluate.metrics import (
    Confusion,
    average_precision,
    bootstrap_intervals,
    classification_metrics,
    percentile,
    recall_at_fpr,
    roc_points,
    wilson_interval,
)


def test_confusion_counts() -> None:
    c = Confusion.of([1, 1, 1, 0, 0, 0, 0], [True, True, False, True, False, False, False])
    assert (c.tp, c.fp, c.tn, c.fn) == (2, 1, 3, 1)


def test_classification_metrics_by_hand() -> None:
    # tp=2 fp=1 tn=3 fn=1: precision 2/3, recall 2/3, f1 2/3, fpr 1/4
    m = classification_metrics([1, 1, 1, 0, 0, 0, 0], [True, True, False, True, False, False, False])
    assert m["precision"] == pytest.approx(2 / 3)
    assert m["recall"] == pytest.approx(2 / 3)
    assert m["f1"] == pytest.approx(2 / 3)
    assert m["fpr"] == pytest.approx(0.25)


def test_f1_with_unequal_precision_and_recall() -> None:
    # tp=1 fp=3 fn=0: precision 0.25, recall 1.0, f1 = 2*0.25/(1.25) = 0.4
    m = classification_metrics([1, 0, 0, 0], [True, True, True, True])
    assert m["f1"] == pytest.approx(0.4)
    assert m["fpr"] == 1.0


def test_undefined_metrics_are_none_not_zero() -> None:
    nothing_caught = classification_metrics([1, 0], [False, False])
    assert nothing_caught["precision"] is None
    assert nothing_caught["recall"] == 0.0
    assert nothing_caught["f1"] is None
    only_negatives = classification_metrics([0, 0], [True, False])
    assert only_negatives["recall"] is None and only_negatives["fpr"] == 0.5
    assert classification_metrics([1, 1], [True, True])["fpr"] is None


def test_precision_and_recall_zero_give_f1_zero() -> None:
    m = classification_metrics([1, 0], [False, True])
    assert m["precision"] == 0.0 and m["recall"] == 0.0 and m["f1"] == 0.0


def test_average_precision_by_hand() -> None:
    # ranked: 0.9(+) 0.8(-) 0.7(+) 0.6(-) 0.5(+)
    # AP = 1/3*(1/1) + 1/3*(2/3) + 1/3*(3/5) = (1 + 0.6667 + 0.6) / 3 = 0.75556
    ap = average_precision([1, 0, 1, 0, 1], [0.9, 0.8, 0.7, 0.6, 0.5])
    assert ap == pytest.approx((1 + 2 / 3 + 3 / 5) / 3)


def test_average_precision_perfect_and_inverted() -> None:
    assert average_precision([0, 1, 0, 1], [0.1, 0.9, 0.2, 0.8]) == pytest.approx(1.0)
    # worst ranking: positives last. AP = 1/2*(1/3) + 1/2*(2/4) = 0.41667
    assert average_precision([1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9]) == pytest.approx((1 / 3 + 2 / 4) / 2)


def test_average_precision_ties_form_one_threshold() -> None:
    # all scores equal: one threshold admitting everything, AP = positive rate
    assert average_precision([1, 0, 0, 0], [0.5, 0.5, 0.5, 0.5]) == pytest.approx(0.25)
    # a tie between a positive and a negative at the top: precision 1/2 at recall 1/2
    # then 0.1(+): precision 2/3 at recall 1. AP = 0.5*0.5 + 0.5*(2/3)
    assert average_precision([1, 0, 1], [0.9, 0.9, 0.1]) == pytest.approx(0.25 + 1 / 3)


def test_average_precision_needs_both_classes() -> None:
    assert average_precision([0, 0], [0.1, 0.2]) is None
    assert average_precision([1, 1], [0.1, 0.2]) is None
    assert average_precision([], []) is None


def test_roc_points_by_hand() -> None:
    fpr, tpr = roc_points([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1])
    assert list(fpr) == [0.0, 0.0, 0.5, 0.5, 1.0]
    assert list(tpr) == [0.0, 0.5, 0.5, 1.0, 1.0]


def test_recall_at_one_percent_fpr() -> None:
    # 200 negatives at score 0.1..., 2 of them above every positive but one
    labels = [1] * 10 + [0] * 200
    scores = [0.95] + [0.5] * 9 + [0.9, 0.8] + [0.1] * 198
    # threshold 0.95: tpr 0.1, fpr 0; 0.9: fpr 1/200; 0.8: fpr 2/200 = 0.01 -> still allowed
    # 0.5: tpr 1.0 at fpr 0.01 -> recall 1.0
    assert recall_at_fpr(labels, scores, 0.01) == pytest.approx(1.0)
    # a budget of 0.5% allows only one false positive: recall 0.1
    assert recall_at_fpr(labels, scores, 0.005) == pytest.approx(0.1)


def test_recall_at_fpr_when_ties_break_the_budget() -> None:
    # every text has the same score: the only thresholds are "none" and "all" (fpr 1)
    assert recall_at_fpr([1, 0, 1, 0], [0.0, 0.0, 0.0, 0.0]) == 0.0
    assert recall_at_fpr([1, 1], [0.2, 0.3]) is None


def test_percentile() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == pytest.approx(2.5)
    assert percentile([10.0] * 99 + [1000.0], 99) == pytest.approx(19.9)
    assert percentile([], 50) is None


def test_mismatched_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="2 labels but 3"):
        average_precision([1, 0], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="NaN"):
        average_precision([1, 0], [float("nan"), 0.2])


def test_bootstrap_intervals_bracket_the_estimate_and_are_seeded() -> None:
    labels = [1] * 30 + [0] * 70
    caught = [True] * 24 + [False] * 6 + [True] * 7 + [False] * 63
    scores = [0.9] * 24 + [0.3] * 6 + [0.8] * 7 + [0.1] * 63
    ci = bootstrap_intervals(labels, caught, scores, resamples=300, seed=1)
    recall = ci["recall"]
    assert recall is not None and recall[0] < 0.8 < recall[1]
    fpr = ci["fpr"]
    assert fpr is not None and fpr[0] < 0.1 < fpr[1]
    assert ci == bootstrap_intervals(labels, caught, scores, resamples=300, seed=1)


def test_bootstrap_of_a_perfect_ranking_is_a_point_and_undefined_metrics_are_none() -> None:
    ci = bootstrap_intervals([1, 0] * 20, [True, False] * 20, [1.0, 0.0] * 20, resamples=100)
    assert ci["auprc"] == (1.0, 1.0) and ci["precision"] == (1.0, 1.0)
    only_positive = bootstrap_intervals([1] * 10, [True] * 10, [0.5] * 10, resamples=50)
    assert only_positive["fpr"] is None and only_positive["auprc"] is None
    assert only_positive["recall"] == (1.0, 1.0)
    with pytest.raises(ValueError, match="resamples"):
        bootstrap_intervals([1], [True], [1.0], resamples=0)


@pytest.mark.parametrize("seed", range(5))
def test_agrees_with_scikit_learn_on_random_data_with_ties(seed: int) -> None:
    """scikit-learn is a dev dependency only; the run-time numpy code must give its answers."""
    import numpy as np
    from sklearn.metrics import average_precision_score, precision_recall_fscore_support, roc_curve

    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, 400).tolist()
    scores = (rng.integers(0, 20, 400) / 20).tolist()  # coarse scores: many ties
    caught = [s >= 0.5 for s in scores]
    assert average_precision(labels, scores) == pytest.approx(average_precision_score(labels, scores))
    fpr, tpr, _ = roc_curve(labels, scores)
    assert recall_at_fpr(labels, scores, 0.05) == pytest.approx(float(tpr[fpr <= 0.05].max()))
    p, r, f, _ = precision_recall_fscore_support(labels, caught, average="binary")
    ours = classification_metrics(labels, caught)
    assert (ours["precision"], ours["recall"], ours["f1"]) == pytest.approx((p, r, f))


def test_wilson_interval_matches_the_textbook_value_and_scipy() -> None:
    low, high = wilson_interval(5, 10)  # type: ignore[misc]
    assert low == pytest.approx(0.2366, abs=1e-4) and high == pytest.approx(0.7634, abs=1e-4)
    for k, n in ((0, 7), (3, 29), (3, 40), (10, 10), (40, 40), (1, 1)):
        ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
        assert wilson_interval(k, n) == pytest.approx((ci.low, ci.high), abs=1e-9)
    wide = wilson_interval(5, 10, z=2.5758293035489004)  # 99%
    assert wide is not None and wide[0] < low and wide[1] > high


def test_wilson_interval_is_undefined_at_zero_and_refuses_impossible_counts() -> None:
    assert wilson_interval(0, 0) is None
    with pytest.raises(ValueError, match="between 0 and 3, not 4"):
        wilson_interval(4, 3)
    with pytest.raises(ValueError, match="between 0 and 3, not -1"):
        wilson_interval(-1, 3)
    with pytest.raises(ValueError, match="between 0 and -2"):
        wilson_interval(1, -2)
