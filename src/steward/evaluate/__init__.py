"""Evaluation on labelled data: load JSONL sets, run a guard, report metrics, gate CI.

    rows = load_dataset(Path("data/challenge/harmful.jsonl"), split="test")
    report = summarise(run_guard(Guard(load_policy("default")), rows))

Metrics are plain numpy (:mod:`steward.evaluate.metrics`), PII span matching is in
:mod:`steward.evaluate.spans`; converters from the shared development data live in
:mod:`steward.evaluate.convert`.
"""

from __future__ import annotations

from steward.evaluate.dataset import EvalRow, ignored_fields, load_dataset
from steward.evaluate.gates import Gate, check_gates, parse_gate
from steward.evaluate.report import render_table, summarise, summarise_many
from steward.evaluate.runner import RowResult, risk_score, run_guard
from steward.evaluate.spans import Span, span_report, spans_match

__all__ = [
    "EvalRow",
    "Gate",
    "RowResult",
    "Span",
    "check_gates",
    "ignored_fields",
    "load_dataset",
    "parse_gate",
    "render_table",
    "risk_score",
    "run_guard",
    "span_report",
    "spans_match",
    "summarise",
    "summarise_many",
]
