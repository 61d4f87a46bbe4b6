"""Gates: parsing METRIC=VALUE in both directions, dotted paths, undefined metrics."""

from __future__ import annotations

from typing import Any

import pytest

from steward.errors import InputError
from steward.evaluate.gates import Gate, check_gates, parse_gate, resolve_metric

REPORT: dict[str, Any] = {
    "n": 10,
    "recall": 0.8,
    "precision": None,
    "fpr": 0.04,
    "latency_ms": {"p50": 2.0, "p99": 9.5},
    "by_category": {"HATE": {"recall": 0.5}},
    "by_group": {"religion:Muslim": {"fpr": 0.1}, "v1.2": {"fpr": 0.0}},
}


def test_parse_gate_directions() -> None:
    assert parse_gate("recall=0.9", default_op=">=") == Gate("recall", ">=", 0.9)
    assert parse_gate("fpr=0.05", default_op="<=") == Gate("fpr", "<=", 0.05)
    assert parse_gate("fpr<=0.05", default_op=">=") == Gate("fpr", "<=", 0.05)
    assert parse_gate(" f1 >= 0.7 ", default_op="<=") == Gate("f1", ">=", 0.7)


@pytest.mark.parametrize("spec", ["recall", "recall=high", "=0.5", "recall=nan", "recall=inf", "a<b"])
def test_bad_gates_are_refused(spec: str) -> None:
    with pytest.raises(InputError, match="gate"):
        parse_gate(spec, default_op=">=")


def test_resolve_dotted_paths() -> None:
    assert resolve_metric(REPORT, "latency_ms.p99") == 9.5
    assert resolve_metric(REPORT, "by_category.HATE.recall") == 0.5
    assert resolve_metric(REPORT, "by_group.religion:Muslim.fpr") == 0.1
    assert resolve_metric(REPORT, "by_group.v1.2.fpr") == 0.0
    assert resolve_metric(REPORT, "precision") is None
    with pytest.raises(InputError, match="no metric 'recal'.*choose from .*recall"):
        resolve_metric(REPORT, "recal")
    with pytest.raises(InputError, match="section, not a number"):
        resolve_metric(REPORT, "latency_ms")
    with pytest.raises(InputError, match="goes past a number"):
        resolve_metric(REPORT, "recall.p50")
    with pytest.raises(InputError, match="no metric 'religion:Jewish'"):
        resolve_metric(REPORT, "by_group.religion:Jewish.fpr")


def test_check_gates() -> None:
    gates = [
        Gate("recall", ">=", 0.8),  # equal passes
        Gate("fpr", "<=", 0.05),
        Gate("by_category.HATE.recall", ">=", 0.6),  # fails
        Gate("latency_ms.p99", "<=", 5.0),  # fails
        Gate("precision", ">=", 0.1),  # undefined fails
    ]
    failures = check_gates(REPORT, gates)
    assert len(failures) == 3
    assert failures[0].startswith("by_category.HATE.recall>=0.6: by_category.HATE.recall is 0.5000")
    assert "latency_ms.p99<=5" in failures[1]
    assert "undefined" in failures[2]
    assert check_gates(REPORT, gates[:2]) == []
