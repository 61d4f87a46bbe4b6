"""``steward card``: publish a system's system card, model cards and datasheets from stored evidence."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from steward.cli._govern_io import open_register
from steward.cli.exit_codes import ExitCode
from steward.govern.cards import CardInputs, card_problems, datasheet_card, model_card, system_card
from steward.govern.controls import control_coverage
from steward.govern.documents import FORMATS, render

__all__ = ["command"]

_SUFFIX = {"md": "md", "html": "html", "json": "json"}


@click.command("card")
@click.argument("system_id")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="md", show_default=True)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Directory to write every card to (default: print the system card).",
)
@click.option("--strict", is_flag=True, help="Fail (exit 7) when required evidence is missing or stale.")
def command(system_id: str, fmt: str, out: Path | None, strict: bool) -> None:
    """Write the system card, model cards and datasheets of SYSTEM_ID; every number comes from stored evidence."""
    store = open_register()
    system = store.get_system(system_id)
    risks = store.list_risks(system_id)
    evidence = store.list_evidence(system_id)
    sheets = store.datasheets_for(system)
    now = datetime.now(UTC)
    inputs = CardInputs(
        system=system,
        risks=risks,
        evidence=evidence,
        datasheets=sheets,
        coverage=control_coverage(
            system, risks=risks, evidence=evidence, datasheets=sheets, today=now.date()
        ),
        decisions=store.decisions(system_id),
        now=now,
    )
    problems = card_problems(inputs)
    for problem in problems:
        click.echo(f"{'error' if strict else 'warning'}: {problem}", err=True)
    if strict and problems:
        sys.exit(ExitCode.GATE_FAILED)
    docs = {f"{system.id}-system-card": system_card(inputs)}
    for model in system.models:
        docs[f"{system.id}-model-card-{model.name}"] = model_card(inputs, model)
    for sheet in sheets.values():
        docs[f"datasheet-{sheet.id}"] = datasheet_card(sheet, now=now)
    if out is None:
        if fmt == "json":
            click.echo(
                json.dumps({name: d.to_dict() for name, d in docs.items()}, indent=2, ensure_ascii=False)
            )
        else:
            click.echo(render(docs[f"{system.id}-system-card"], fmt), nl=False)
        return
    out.mkdir(parents=True, exist_ok=True)
    for name, doc in docs.items():
        path = out / f"{name}.{_SUFFIX[fmt]}"
        path.write_text(render(doc, fmt), encoding="utf-8")
        click.echo(f"wrote {path}")
