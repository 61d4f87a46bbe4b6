"""``steward eval --bias``: the guard's own bias over identity-term data (see
:mod:`steward.evaluate.bias`).

Kept apart from :mod:`steward.cli.eval` so that command only dispatches here; the scoring is
the same run (:func:`steward.evaluate.runner.run_guard`) and gates work the same way.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from steward.cli.exit_codes import ExitCode

__all__ = ["run_bias"]


def run_bias(
    datasets: tuple[Path, ...],
    names: list[str],
    *,
    policy_ref: str,
    identity_columns: tuple[str, ...],
    split: str | None,
    limit: int | None,
    caught: str,
    bootstrap: int,
    min_count: int,
    gate_specs: tuple[tuple[str, ...], tuple[str, ...]],
    as_json: bool,
) -> NoReturn:
    """Load, score, report and gate; exits with the gate's code."""
    from steward.evaluate import check_gates, parse_gate, run_guard
    from steward.evaluate.bias import bias_report, load_bias_rows, render_bias_table
    from steward.guard import Guard
    from steward.policy import load_policy

    fail_under, fail_over = gate_specs
    gates = [parse_gate(s, default_op=">=") for s in fail_under] + [
        parse_gate(s, default_op="<=") for s in fail_over
    ]
    policy = load_policy(policy_ref)
    columns = identity_columns or ("identity",)
    loaded = [load_bias_rows(p, identity_columns=columns, split=split, limit=limit) for p in datasets]
    guard = Guard(policy)
    reports: dict[str, dict[str, Any]] = {}
    for name, rows in zip(names, loaded, strict=True):
        results = run_guard(
            guard, [r.row for r in rows], caught="blocked" if caught == "blocked" else "intervened"
        )
        reports[name] = bias_report(
            results, [r.identities for r in rows], min_count=min_count, bootstrap=bootstrap
        )
    report: dict[str, Any] = next(iter(reports.values())) if len(reports) == 1 else {"datasets": reports}
    failures = check_gates(report, gates)
    if as_json:
        click.echo(json.dumps({"policy": guard.policy.name, **report}, indent=2, ensure_ascii=False))
    else:
        click.echo(f"policy: {guard.policy.name}")
        for name, one in reports.items():
            click.echo(render_bias_table(one, title=name))
    for failure in failures:
        click.echo(f"gate failed: {failure}", err=True)
    sys.exit(ExitCode.GATE_FAILED if failures else ExitCode.OK)
