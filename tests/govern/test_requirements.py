from __future__ import annotations

import pytest

from steward.govern.requirements import lookup_metric, parse_threshold

SLICES = {
    "sex=Female": {"recall": 0.5, "selection_rate": 0.08},
    "sex=Male": {"recall": 0.6, "selection_rate": 0.24},
    "race=Black": {"recall": 0.45, "selection_rate": 0.09},
}


@pytest.mark.parametrize(
    ("text", "metric", "op", "value"),
    [
        ("recall >= 0.9", "recall", ">=", 0.9),
        ("fpr<=.03", "fpr", "<=", 0.03),
        ("latency_ms.p99 < 10", "latency_ms.p99", "<", 10.0),
        ("group[sex=Female].recall > 0.5", "group[sex=Female].recall", ">", 0.5),
        ("n == 1e3", "n", "==", 1000.0),
    ],
)
def test_thresholds_parse(text: str, metric: str, op: str, value: float) -> None:
    t = parse_threshold(text)
    assert (t.metric, t.op, t.value) == (metric, op, value)


@pytest.mark.parametrize(
    "text", ["recall", "recall >= high", ">= 0.9", "recall => 0.9", "recall >= 0.9 or fpr", "recall >= inf"]
)
def test_bad_thresholds_say_what_one_looks_like(text: str) -> None:
    with pytest.raises(ValueError, match="threshold like 'recall >= 0.9'"):
        parse_threshold(text)


def test_threshold_holds() -> None:
    t = parse_threshold("fpr <= 0.03")
    assert t.holds(0.03) and not t.holds(0.031)


def test_metric_lookup_plain_slice_and_aggregates() -> None:
    assert lookup_metric("recall", {"recall": 0.7}, SLICES) == 0.7
    assert lookup_metric("group[sex=Male].recall", {}, SLICES) == 0.6
    assert lookup_metric("min_group.recall", {}, SLICES) == 0.45
    assert lookup_metric("max_group.recall", {}, SLICES) == 0.6
    assert lookup_metric("group_gap[sex].recall", {}, SLICES) == pytest.approx(0.1)
    assert lookup_metric("group_ratio[sex].selection_rate", {}, SLICES) == pytest.approx(0.08 / 0.24)
    assert lookup_metric("group_ratio.selection_rate", {}, SLICES) == pytest.approx(0.08 / 0.24)


def test_unknown_metrics_are_none_not_zero() -> None:
    assert lookup_metric("auprc", {"recall": 1.0}, SLICES) is None
    assert lookup_metric("group[sex=Other].recall", {}, SLICES) is None
    assert lookup_metric("min_group.auprc", {}, SLICES) is None
    assert lookup_metric("median_group.recall", {}, SLICES) is None


def test_overlong_thresholds_are_refused_quickly() -> None:
    from pydantic import ValidationError

    from steward.govern.requirements import EvidenceRequirement

    with pytest.raises(ValueError, match="not a threshold"):
        parse_threshold("r" * 300 + " >= 1")
    with pytest.raises(ValidationError, match="at most 200 characters"):
        EvidenceRequirement.model_validate({"kind": "evaluation", "thresholds": ["a[" * 150 + " >= 1"]})
