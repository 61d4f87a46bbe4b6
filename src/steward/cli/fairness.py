"""``steward fairness``: per-group fairness of a model's predictions, and mitigation with fairlearn.

``steward fairness PREDICTIONS ...`` (or ``steward fairness audit PREDICTIONS ...``) measures;
``steward fairness mitigate TRAIN TEST ...`` retrains or post-processes and prints before/after.
A measurement can be stored as evidence for a registered system, where release gates read it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click

from steward.cli._options import RECORDED_BY, input_files, options
from steward.errors import InputError

if TYPE_CHECKING:
    from steward.fairness.mitigate import Constraint, Method
    from steward.fairness.tables import TableFormat

__all__ = ["command"]

_FORMATS = ("csv", "jsonl", "parquet")


class _AuditByDefault(click.Group):
    """``steward fairness FILE`` runs ``audit``; a known subcommand name runs that subcommand."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["audit", *args]
        return super().parse_args(ctx, args)


@click.group("fairness", cls=_AuditByDefault)
def command() -> None:
    """Measure fairness across groups (PREDICTIONS file), or mitigate it (`mitigate`)."""


def _split(values: tuple[str, ...]) -> list[str]:
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


_table_options = options(
    click.option(
        "--format",
        "fmt",
        type=click.Choice(_FORMATS),
        default=None,
        help="Table format (default: from the suffix).",
    ),
    click.option(
        "--columns", default=None, help="Comma-separated column names for a CSV without a header row."
    ),
)
_POSITIVE = click.option(
    "--positive", multiple=True, help="A label value that means positive (repeatable), for text labels."
)
_SEED = click.option("--seed", default=0, show_default=True, type=click.IntRange(0, 2**32 - 1))


@command.command("audit")
@click.argument("predictions", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--label", required=True, help="The column with the true outcome (0/1, or see --positive).")
@click.option("--prediction", required=True, help="The column with the model's decision (0/1 or true/false).")
@click.option(
    "--score", default=None, help="The column with the model's probability (adds calibration, AUPRC)."
)
@click.option(
    "--group", "groups", multiple=True, required=True, help="A protected-attribute column (repeatable)."
)
@_POSITIVE
@_table_options
@click.option(
    "--skip-rows",
    default=0,
    show_default=True,
    type=click.IntRange(0, 1_000_000),
    help="Leading lines to skip.",
)
@click.option(
    "--min-group-size",
    default=30,
    show_default=True,
    type=click.IntRange(1, 1_000_000),
    help="Smaller groups are inestimable.",
)
@click.option(
    "--min-denominator",
    default=10,
    show_default=True,
    type=click.IntRange(1, 1_000_000),
    help="A rate needs this many rows in its denominator (positives for TPR, negatives for FPR).",
)
@click.option(
    "--resamples",
    default=1000,
    show_default=True,
    type=click.IntRange(0, 10_000),
    help="Bootstrap resamples (0: no intervals).",
)
@_SEED
@click.option("--json", "as_json", is_flag=True, help="Print the full report as JSON.")
@click.option(
    "--system", "system_id", default=None, help="Record the result as evidence for this registered system."
)
@click.option("--name", default=None, help="Evidence name (release requirements match on it).")
@click.option("--subject", default=None, help="The model measured, e.g. model:credit-lr.")
@click.option("--subject-version", default=None, help="The version of the model measured.")
@click.option("--kind", type=click.Choice(["fairness", "evaluation"]), default="fairness", show_default=True)
@input_files("Another input file to hash into the evidence.")
@RECORDED_BY
def audit_command(
    predictions: Path,
    label: str,
    prediction: str,
    score: str | None,
    groups: tuple[str, ...],
    positive: tuple[str, ...],
    fmt: str | None,
    columns: str | None,
    skip_rows: int,
    min_group_size: int,
    min_denominator: int,
    resamples: int,
    seed: int,
    as_json: bool,
    system_id: str | None,
    name: str | None,
    subject: str | None,
    subject_version: str | None,
    kind: str,
    inputs: tuple[Path, ...],
    actor: str | None,
) -> None:
    """Per-group and intersectional rates, ratios and the four-fifths rule for PREDICTIONS."""
    if system_id is not None and not (name and subject and subject_version):
        raise click.UsageError("--system needs --name, --subject and --subject-version")
    from steward.fairness import audit, read_table
    from steward.fairness.render import render_report
    from steward.fairness.tables import binary_column, group_column, require_columns, score_column

    where = str(predictions)
    fmt = fmt or ("csv" if columns else None)  # only a CSV can lack a header row
    frame = read_table(
        predictions,
        fmt=cast("TableFormat | None", fmt),
        columns=_split((columns,)) if columns else None,
        skip_rows=skip_rows,
    )
    group_names = _split(groups)
    require_columns(frame, [label, prediction, *([score] if score else []), *group_names], where=where)
    report = audit(
        binary_column(frame, label, where=where, positive=positive),
        binary_column(frame, prediction, where=where),
        {g: group_column(frame, g) for g in group_names},
        scores=score_column(frame, score, where=where) if score else None,
        min_group_size=min_group_size,
        min_denominator=min_denominator,
        resamples=resamples,
        seed=seed,
        column_names={"label": label, "prediction": prediction, "score": score},
    )
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(render_report(report), nl=False)
    if system_id is not None:
        assert name and subject and subject_version  # checked above
        _record(
            report.evidence_document(),
            predictions,
            inputs,
            system_id,
            name,
            subject,
            subject_version,
            kind,
            actor,
        )


def _record(
    document: dict[str, Any],
    predictions: Path,
    inputs: tuple[Path, ...],
    system_id: str,
    name: str,
    subject: str,
    subject_version: str,
    kind: str,
    actor: str | None,
) -> None:
    """Store the measurement through the same path as ``steward evidence add``."""
    from steward.cli._govern_io import hash_inputs, record_evidence
    from steward.govern.requirements import EvidenceKind

    recorded = record_evidence(
        json.dumps(document, sort_keys=True).encode(),
        system_id=system_id,
        kind=EvidenceKind(kind),
        name=name,
        subject=subject,
        subject_version=subject_version,
        actor=actor,
        inputs=hash_inputs((predictions, *inputs)),
        source=predictions.name,
        rerun_ok=True,
    )
    system, evidence = recorded.system, recorded.evidence
    if not recorded.added:
        click.echo(f"{evidence.id}: this measurement is already recorded for {system.id} {system.version}")
    else:
        click.echo(
            f"recorded {evidence.id}: {kind} {name!r} for {system.id} {system.version} "
            f"({len(evidence.metrics)} metrics, {len(evidence.slices)} groups)"
        )


@command.command("mitigate")
@click.argument("train", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("test", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--label", required=True, help="The outcome column in both files.")
@_POSITIVE
@click.option(
    "--group", "groups", multiple=True, required=True, help="The protected attribute(s) to mitigate for."
)
@_table_options
@click.option("--train-skip-rows", default=0, show_default=True, type=click.IntRange(0, 1_000_000))
@click.option("--test-skip-rows", default=0, show_default=True, type=click.IntRange(0, 1_000_000))
@click.option(
    "--features", default=None, help="Comma-separated feature columns (default: all but label and groups)."
)
@click.option(
    "--exclude", multiple=True, help="Columns never used as features (repeatable, comma-separated)."
)
@click.option(
    "--estimator",
    default="logistic-regression",
    show_default=True,
    help="A built-in name or module:callable returning an unfitted scikit-learn classifier.",
)
@click.option(
    "--method",
    type=click.Choice(["threshold-optimizer", "exponentiated-gradient"]),
    default="threshold-optimizer",
    show_default=True,
)
@click.option(
    "--constraint",
    type=click.Choice(["demographic_parity", "equalized_odds"]),
    default="demographic_parity",
    show_default=True,
)
@click.option(
    "--objective",
    type=click.Choice(["accuracy_score", "balanced_accuracy_score"]),
    default="accuracy_score",
    show_default=True,
    help="What threshold-optimizer maximises under the constraint.",
)
@click.option(
    "--difference-bound",
    type=click.FloatRange(0, 1, min_open=True),
    default=None,
    help="Allowed gap: ThresholdOptimizer's tol, or the reduction's difference bound.",
)
@click.option(
    "--ratio-bound",
    type=click.FloatRange(0, 1, min_open=True),
    default=None,
    help="exponentiated-gradient only: the ratio bound.",
)
@click.option("--resamples", default=200, show_default=True, type=click.IntRange(0, 10_000))
@_SEED
@click.option(
    "--predictions-out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the test rows' groups, label and both models' decisions and scores (CSV).",
)
@click.option(
    "--keep",
    multiple=True,
    help="A test column copied into --predictions-out as is (e.g. another attribute to audit; repeatable).",
)
@click.option("--json", "as_json", is_flag=True)
def mitigate_command(
    train: Path,
    test: Path,
    label: str,
    positive: tuple[str, ...],
    groups: tuple[str, ...],
    fmt: str | None,
    columns: str | None,
    train_skip_rows: int,
    test_skip_rows: int,
    features: str | None,
    exclude: tuple[str, ...],
    estimator: str,
    method: str,
    constraint: str,
    objective: str,
    difference_bound: float | None,
    ratio_bound: float | None,
    resamples: int,
    seed: int,
    predictions_out: Path | None,
    keep: tuple[str, ...],
    as_json: bool,
) -> None:
    """Train on TRAIN, mitigate for --group, and compare fairness and accuracy on TEST before and after."""
    import pandas as pd

    from steward.fairness import read_table
    from steward.fairness.mitigate import mitigate
    from steward.fairness.render import render_mitigation
    from steward.fairness.tables import binary_column, require_columns

    names = _split((columns,)) if columns else None
    fmt = fmt or ("csv" if names else None)  # only a CSV can lack a header row
    train_frame = read_table(
        train, fmt=cast("TableFormat | None", fmt), columns=names, skip_rows=train_skip_rows
    )
    test_frame = read_table(
        test, fmt=cast("TableFormat | None", fmt), columns=names, skip_rows=test_skip_rows
    )
    group_names = _split(groups)
    excluded = {label, *group_names, *_split(exclude)}
    chosen = _split((features,)) if features else [c for c in train_frame.columns if c not in excluded]
    for frame, where in ((train_frame, str(train)), (test_frame, str(test))):
        require_columns(frame, [label, *group_names, *chosen], where=where)
    kept = [c for c in _split(keep) if c not in group_names]
    require_columns(test_frame, kept, where=str(test))
    overlap = sorted(set(chosen) & {label, *group_names})
    if overlap:
        raise InputError(
            f"{', '.join(overlap)} cannot be both a feature and the label or a group", field="features"
        )
    result = mitigate(
        train_frame,
        test_frame,
        train_labels=binary_column(train_frame, label, where=str(train), positive=positive),
        test_labels=binary_column(test_frame, label, where=str(test), positive=positive),
        features=chosen,
        sensitive=group_names,
        method=cast("Method", method),
        constraint=cast("Constraint", constraint),
        estimator=estimator,
        objective=objective,
        difference_bound=difference_bound,
        ratio_bound=ratio_bound,
        seed=seed,
        resamples=resamples,
    )
    if predictions_out is not None:
        out = pd.DataFrame({c: test_frame[c].astype(str) for c in [*group_names, *kept]})
        out["label"] = binary_column(test_frame, label, where=str(test), positive=positive)
        out["prediction"] = result.prediction
        out["score"] = result.score.round(6)
        out["baseline_prediction"] = result.baseline_prediction
        out["baseline_score"] = result.baseline_score.round(6)
        predictions_out.parent.mkdir(parents=True, exist_ok=True)
        out.to_csv(predictions_out, index=False)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(render_mitigation(result), nl=False)
        if predictions_out is not None:
            click.echo(f"wrote {predictions_out}")
