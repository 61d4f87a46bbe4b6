"""``steward explain``: permutation importance and SHAP values of a tabular model, optionally
recorded as evidence for a registered system (and so shown in its model card).

    steward explain model.joblib adult.test --target income --columns age,workclass,... --row 3
    steward explain model.joblib test.csv --target approved --record credit-prescreen \\
        --subject model:credit-lr --subject-version 1.0

The model is a fitted scikit-learn-style estimator saved with joblib; loading it runs code
from the file, so explain only models you trust.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from steward.cli._options import RECORDED_BY

__all__ = ["command"]

#: Columns shown in the terminal table.
_SHOWN = 20


def _render(report: dict[str, Any]) -> None:
    click.echo(
        f"{report['model']} on {report['n']} rows, {report['features']} features; "
        f"{report['scoring']} = {report['baseline_score']:.4f}; SHAP explains {report['explained_output']}"
    )
    shap_on = report["shap"]["available"]
    head = f"{'feature':<24} {'permutation':>12} {'± std':>8}"
    if shap_on:
        head += f" {'mean|SHAP|':>11} {'SHAP row ' + str(report['local']['row']):>12}  value"
    click.echo(head)
    for name, v in list(report["by_feature"].items())[:_SHOWN]:
        line = f"{name[:24]:<24} {v['permutation_importance']:>12.4f} {v['permutation_importance_std']:>8.4f}"
        if shap_on:
            value = report["local"]["feature_values"].get(name, "")
            line += f" {v['mean_abs_shap']:>11.4f} {v['local_shap']:>+12.4f}  {value[:30]}"
        click.echo(line)
    if shap_on:
        local = report["local"]
        click.echo(
            f"row {local['row']}: {report['explained_output']} = {local['prediction']:.4f} "
            f"(average {local['base_value']:.4f} + the SHAP values above)"
        )
    else:
        click.echo(report["shap"]["reason"])


def _record(
    report: dict[str, Any],
    *,
    system_id: str,
    name: str,
    subject: str,
    subject_version: str,
    files: tuple[Path, ...],
    actor: str | None,
) -> str:
    from steward.cli._govern_io import hash_inputs, record_evidence
    from steward.govern.requirements import EvidenceKind

    recorded = record_evidence(
        json.dumps(report, sort_keys=True).encode("utf-8"),
        system_id=system_id,
        kind=EvidenceKind.EXPLANATION,
        name=name,
        subject=subject,
        subject_version=subject_version,
        actor=actor,
        inputs=hash_inputs(files),
        source="steward explain",
    )
    system = recorded.system
    return f"recorded {recorded.evidence.id}: explanation {name!r} for {system.id} {system.version}"


@click.command("explain")
@click.argument("model_path", metavar="MODEL", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("data", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--target", required=True, help="The label column of DATA.")
@click.option("--columns", default=None, help="Comma-separated column names, for a CSV without a header.")
@click.option(
    "--drop", default=None, help="Comma-separated columns to leave out (ids, protected attributes)."
)
@click.option(
    "--row", type=click.IntRange(min=0), default=0, show_default=True, help="Row to explain locally."
)
@click.option(
    "--scoring", default=None, help="scikit-learn scorer for permutation importance (default: model.score)."
)
@click.option(
    "--repeats", type=click.IntRange(1, 100), default=5, show_default=True, help="Shuffles per column."
)
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Use the first N rows of DATA.")
@click.option("--shap/--no-shap", "use_shap", default=True, show_default=True, help="Compute SHAP values.")
@click.option(
    "--shap-rows",
    type=click.IntRange(1, 2000),
    default=200,
    show_default=True,
    help="Rows averaged for mean |SHAP|.",
)
@click.option(
    "--background-rows",
    type=click.IntRange(1, 2000),
    default=50,
    show_default=True,
    help="SHAP background sample.",
)
@click.option(
    "--positive", default=None, help="The class whose probability SHAP explains (default: the last)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--record", "system_id", default=None, help="Record the report as evidence for this system.")
@click.option("--name", default="explanation", show_default=True, help="Evidence name (with --record).")
@click.option(
    "--subject",
    default=None,
    help="The model, e.g. model:credit-lr (with --record; default model:FILE-STEM).",
)
@click.option("--subject-version", default=None, help="The model's version (required with --record).")
@RECORDED_BY
def command(
    model_path: Path,
    data: Path,
    target: str,
    columns: str | None,
    drop: str | None,
    row: int,
    scoring: str | None,
    repeats: int,
    limit: int | None,
    use_shap: bool,
    shap_rows: int,
    background_rows: int,
    positive: str | None,
    as_json: bool,
    system_id: str | None,
    name: str,
    subject: str | None,
    subject_version: str | None,
    actor: str | None,
) -> None:
    """Explain MODEL on labelled DATA (CSV, JSONL or Parquet): permutation importance per
    column, and SHAP values globally and for one row (where the shap package is installed)."""
    from steward.errors import InputError
    from steward.explain.tabular import explain_table, load_model, load_table

    if system_id is not None and not subject_version:
        raise click.UsageError("--record needs --subject-version")
    names = [c.strip() for c in columns.split(",")] if columns else None
    x, y = load_table(data, target=target, columns=names, limit=limit)
    if drop:
        unknown = [c for c in (d.strip() for d in drop.split(",")) if c not in x.columns]
        if unknown:
            raise InputError(f"has no column(s) {', '.join(unknown)} to drop", field=str(data))
        x = x.drop(columns=[d.strip() for d in drop.split(",")])
    report = explain_table(
        load_model(model_path),
        x,
        y,
        row=row,
        scoring=scoring,
        repeats=repeats,
        use_shap=use_shap,
        explain_rows=shap_rows,
        background_rows=background_rows,
        positive=positive,
    )
    if as_json:
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        _render(report)
    if system_id is not None:
        message = _record(
            report,
            system_id=system_id,
            name=name,
            subject=subject or f"model:{model_path.stem}",
            subject_version=str(subject_version),
            files=(model_path, data),
            actor=actor,
        )
        click.echo(message, err=as_json)
