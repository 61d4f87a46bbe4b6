"""``steward dataset``: datasheets, and measuring a data file (size, balance, groups, PII, duplicates)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click

from steward.cli._govern_io import open_register, read_yaml, record_evidence, write_output
from steward.cli._paging import PAGE, echo_next
from steward.govern._validation import parse_model
from steward.govern.cards import datasheet_card
from steward.govern.datasheet import Datasheet
from steward.govern.documents import FORMATS
from steward.govern.profile import PII_SAMPLE_DEFAULT, profile_dataset
from steward.govern.requirements import EvidenceKind

__all__ = ["command"]


@click.group("dataset")
def command() -> None:
    """Keep datasheets for data sets and measure their files."""


@command.command("add")
@click.argument("path")
def add(path: str) -> None:
    """Add or update the datasheet in PATH (a measured profile already stored is kept)."""
    sheet = parse_model(Datasheet, read_yaml(path), origin=path)
    open_register().put_dataset(sheet)
    click.echo(f"stored datasheet {sheet.id} version {sheet.version}")


def _split(values: tuple[str, ...]) -> list[str]:
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


@command.command("profile")
@click.argument("dataset_id")
@click.argument("data_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--columns", default=None, help="Comma-separated column names for a CSV without a header row.")
@click.option("--label", default=None, help="The label column (label balance).")
@click.option(
    "--group", "groups", multiple=True, help="A column to report group representation for (repeatable)."
)
@click.option("--text", "texts", multiple=True, help="A text column to scan for PII (repeatable).")
@click.option(
    "--pii-sample",
    default=PII_SAMPLE_DEFAULT,
    show_default=True,
    type=int,
    help="Rows the PII scan looks at.",
)
@click.option("--skip-rows", default=0, show_default=True, type=int, help="Leading lines to skip (a banner).")
@click.option(
    "--system",
    "system_id",
    default=None,
    help="Also record the scan as dataset-scan evidence for this system.",
)
def profile(
    dataset_id: str,
    data_file: Path,
    columns: str | None,
    label: str | None,
    groups: tuple[str, ...],
    texts: tuple[str, ...],
    pii_sample: int,
    skip_rows: int,
    system_id: str | None,
) -> None:
    """Measure DATA_FILE (CSV or JSONL) and store the facts in DATASET_ID's datasheet."""
    store = open_register()
    sheet = store.get_dataset(dataset_id)
    measured = profile_dataset(
        data_file,
        columns=_split((columns,)) if columns else None,
        label=label,
        groups=_split(groups),
        text_columns=_split(texts),
        pii_sample=pii_sample,
        skip_rows=skip_rows,
    )
    store.put_dataset(sheet.model_copy(update={"profile": measured}), measured=True)
    click.echo(
        f"{dataset_id}: {measured.rows} rows, {len(measured.columns)} columns, {measured.exact_duplicate_rows} exact duplicates, sha256 {measured.file_sha256[:12]}"
    )
    if measured.label is not None:
        click.echo(
            f"  label {measured.label.column}: "
            + ", ".join(f"{k} {v}" for k, v in measured.label.counts.items())
        )
    for g in measured.groups:
        click.echo(f"  {g.column}: " + ", ".join(f"{k} {v}" for k, v in list(g.counts.items())[:8]))
    if measured.pii_columns:
        found = ", ".join(f"{k} {v}" for k, v in measured.pii_counts.items()) or "none"
        click.echo(f"  PII in {measured.pii_rows_scanned} rows scanned: {found}")
    if system_id is not None:
        metrics = {
            "rows": measured.rows,
            "exact_duplicate_rows": measured.exact_duplicate_rows,
            "pii_rows_scanned": measured.pii_rows_scanned,
            "pii_rows_with_findings": measured.pii_rows_with_findings,
            **{f"pii.{k}": v for k, v in measured.pii_counts.items()},
        }
        payload = json.dumps(
            {"dataset": dataset_id, "file_sha256": measured.file_sha256, **metrics}, sort_keys=True
        ).encode()
        recorded = record_evidence(
            payload,
            system_id=system_id,
            kind=EvidenceKind.DATASET_SCAN,
            name=f"dataset scan {dataset_id}",
            subject=f"dataset:{dataset_id}",
            subject_version=sheet.version,
            inputs={measured.file_name: measured.file_sha256},
            source=measured.file_name,
            rerun_ok=True,
            store=store,
        )
        system, evidence = recorded.system, recorded.evidence
        if not recorded.added:
            click.echo(f"{evidence.id}: this scan is already recorded for {system.id} {system.version}")
        else:
            click.echo(f"recorded {evidence.id}: dataset-scan for {system.id} {system.version}")


@command.command("list")
@PAGE
def list_(after: str | None, limit: int) -> None:
    """List the datasheets by id, a page at a time."""
    page = open_register().datasets_page(after=after, limit=limit)
    for sheet in page.items:
        measured = f"{sheet.profile.rows} rows" if sheet.profile else "not measured"
        click.echo(f"{sheet.id}\t{sheet.version}\t{measured}\t{sheet.name}")
    echo_next(page.next)


@command.command("show")
@click.argument("dataset_id")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="md", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
def show(dataset_id: str, fmt: str, out: Path | None) -> None:
    """Print (or write) a datasheet."""
    store = open_register()
    sheet = store.get_dataset(dataset_id)
    # Scans and scrubs of this data set may be recorded for any system.
    evidence = [e for system in store.list_systems() for e in store.list_evidence(system.id)]
    write_output(datasheet_card(sheet, now=datetime.now(UTC), evidence=evidence), fmt, out)
