"""The guard's own bias: identity-subgroup, BPSN and BNSP AUCs and per-identity error rates.

    rows = load_bias_rows(Path("toxigen.jsonl"), identity_columns=["identity"], split="test")
    results = run_guard(Guard(load_policy("default")), [r.row for r in rows])
    report = bias_report(results, [r.identities for r in rows])

The maths is in :mod:`steward.evaluate.bias.metrics`, input files in
:mod:`steward.evaluate.bias.inputs`, the report in :mod:`steward.evaluate.bias.report`.
``steward eval --bias`` runs all three.
"""

from __future__ import annotations

from steward.evaluate.bias.inputs import BiasRow, load_bias_rows
from steward.evaluate.bias.metrics import bias_aucs, generalized_mean, roc_auc
from steward.evaluate.bias.report import bias_report, render_bias_table

__all__ = [
    "BiasRow",
    "bias_aucs",
    "bias_report",
    "generalized_mean",
    "load_bias_rows",
    "render_bias_table",
    "roc_auc",
]
