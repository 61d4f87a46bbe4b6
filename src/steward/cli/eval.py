"""``steward eval``: measure a policy on labelled JSONL sets, and gate CI on the numbers.

Exit codes: 0 every gate passed (or none given), 7 a gate failed, 4 bad policy,
5 a bad dataset line (the message names the file and line). Fields the run would ignore
(a ``context`` on a row checked as input, ...) are warned about on stderr and listed under
``warnings`` in the report, once per file and field.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from steward.cli._options import POLICY
from steward.cli.exit_codes import ExitCode
from steward.evaluate import check_gates, load_dataset, parse_gate, render_table, run_guard, summarise
from steward.evaluate.dataset import ignored_fields
from steward.evaluate.report import summarise_many
from steward.guard import Guard
from steward.policy import load_policy

__all__ = ["command"]


def _names(paths: tuple[Path, ...]) -> list[str]:
    """Short dataset names (file stems), falling back to full paths where stems clash."""
    stems = [p.stem for p in paths]
    return [p.stem if stems.count(p.stem) == 1 else str(p) for p in paths]


@click.command("eval")
@click.argument("datasets", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@POLICY
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.option(
    "--fail-under",
    "fail_under",
    multiple=True,
    metavar="METRIC=VALUE",
    help="Exit 7 if METRIC is below VALUE (METRIC<=VALUE also accepted). Repeatable.",
)
@click.option(
    "--fail-over",
    "fail_over",
    multiple=True,
    metavar="METRIC=VALUE",
    help="Exit 7 if METRIC is above VALUE (for fpr, fpr_spread, latency_ms.p99). Repeatable.",
)
@click.option(
    "--split", type=click.Choice(["train", "test"]), default=None, help="Keep only rows of this split."
)
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Use at most N rows per dataset.")
@click.option(
    "--by",
    "by",
    multiple=True,
    metavar="FIELD",
    help="Also slice by this row field (family, kind, carrier, position, ...). Repeatable.",
)
@click.option(
    "--threshold",
    "thresholds",
    multiple=True,
    type=click.FloatRange(0.0, 1.0),
    metavar="T",
    help="Also report precision/recall/FPR of 'caught when score >= T'. Repeatable.",
)
@click.option(
    "--bootstrap",
    type=click.IntRange(min=0, max=10_000),
    default=0,
    show_default=True,
    help="Resamples for 95% bootstrap intervals (ci95) on each dataset and overall; 0 = off.",
)
@click.option(
    "--caught",
    type=click.Choice(["blocked", "intervened"]),
    default="blocked",
    show_default=True,
    help="Count a row as caught only when the guard blocks it, or when it blocks or masks "
    "(intervened). Masking is reported apart as masked / masked_rate either way.",
)
@click.option(
    "--bias",
    is_flag=True,
    help="Report the guard's own bias over identity-term data (JSONL or CSV): subgroup, BPSN and "
    "BNSP AUCs and FPR/FNR per identity. See docs/evaluation.md.",
)
@click.option(
    "--identity",
    "identity_columns",
    multiple=True,
    metavar="COLUMN",
    help="With --bias: a column naming identities ('a|b') or flagging one (0/1). Default: identity.",
)
@click.option(
    "--min-count",
    type=click.IntRange(min=1, max=10_000),
    default=5,
    show_default=True,
    help="With --bias: rows a metric needs on each side; fewer = inestimable.",
)
def command(
    datasets: tuple[Path, ...],
    policy_ref: str,
    as_json: bool,
    fail_under: tuple[str, ...],
    fail_over: tuple[str, ...],
    split: str | None,
    limit: int | None,
    by: tuple[str, ...],
    thresholds: tuple[float, ...],
    bootstrap: int,
    caught: str,
    bias: bool,
    identity_columns: tuple[str, ...],
    min_count: int,
) -> None:
    """Evaluate a policy on DATASETS (JSONL: text, label and/or PII spans, optional
    source/category/group/context/query).

    Several datasets give one report per dataset plus "overall"; gates apply to overall,
    or to one dataset as datasets.NAME.METRIC. Rows with context and no source are checked
    as output (grounding runs on answers only).
    """
    if bias:
        if by or thresholds:
            raise click.UsageError("--by and --threshold do not apply to --bias")
        from steward.cli.eval_bias import run_bias

        run_bias(
            datasets,
            _names(datasets),
            policy_ref=policy_ref,
            identity_columns=identity_columns,
            split=split,
            limit=limit,
            caught=caught,
            bootstrap=bootstrap,
            min_count=min_count,
            gate_specs=(fail_under, fail_over),
            as_json=as_json,
        )
    if identity_columns:
        raise click.UsageError("--identity applies only with --bias")
    gates = [parse_gate(s, default_op=">=") for s in fail_under] + [
        parse_gate(s, default_op="<=") for s in fail_over
    ]
    policy = load_policy(policy_ref)
    # read every dataset before building detectors, so a bad line fails in a moment
    loaded = [load_dataset(path, split=split, limit=limit) for path in datasets]
    warnings = [
        warning
        for path, rows in zip(datasets, loaded, strict=True)
        for warning in ignored_fields(rows, policy, name=path.name)
    ]
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    guard = Guard(policy)
    named = {
        name: run_guard(guard, rows, caught="blocked" if caught == "blocked" else "intervened")
        for name, rows in zip(_names(datasets), loaded, strict=True)
    }
    report: dict[str, Any]
    if len(named) == 1:
        report = summarise(next(iter(named.values())), bootstrap=bootstrap, by=by, thresholds=thresholds)
        gate_view = report
    else:
        report = summarise_many(named, bootstrap=bootstrap, by=by, thresholds=thresholds)
        # gates read the overall figures, and per dataset as datasets.NAME.METRIC
        gate_view = {**report["overall"], "datasets": report["datasets"]}
    failures = check_gates(gate_view, gates)
    report["warnings"] = warnings  # after the gates: a list of messages is not a metric
    if as_json:
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        click.echo(f"policy: {guard.policy.name}")
        click.echo(render_table(report, title=_names(datasets)[0]))
    for failure in failures:
        click.echo(f"gate failed: {failure}", err=True)
    sys.exit(ExitCode.GATE_FAILED if failures else ExitCode.OK)
