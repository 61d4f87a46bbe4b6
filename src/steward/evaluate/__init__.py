"""Evaluation on labelled data: load JSONL sets, run a guard, report metrics, gate CI.

    rows = load_dataset(Path("data/challenge/harmful.jsonl"), split="test")
    report = summarise(run_guard(Guard(load_policy("default")), rows))

Metrics are plain numpy (:mod:`steward.evaluate.metrics`); converters from the shared
development data live in :mod:`steward.evaluate.convert`.
"""

from __future__ import annotations

from steward.evaluate.dataset import EvalRow, load_dataset
from steward.evaluate.gates import Gate, check_gates, parse_gate
from steward.evaluate.report import render_table, summarise, summarise_many
from steward.evaluate.runner import RowResult, risk_score, run_guard

__all__ = [
    "EvalRow",
    "Gate",
    "RowResult",
    "check_gates",
    "load_dataset",
    "parse_gate",
    "render_table",
    "risk_score",
    "run_guard",
    "summarise",
    "summarise_many",
]
