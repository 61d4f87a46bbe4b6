"""``steward card``: publish a system's system card, model cards and datasheets from stored evidence."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from steward.cli._govern_io import open_register
from steward.cli.exit_codes import ExitCode
from steward.govern.cards import all_cards, card_problems, collect_card_inputs
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
    inputs = collect_card_inputs(open_register(), system_id, now=datetime.now(UTC))
    problems = card_problems(inputs)
    for problem in problems:
        click.echo(f"{'error' if strict else 'warning'}: {problem}", err=True)
    if strict and problems:
        sys.exit(ExitCode.GATE_FAILED)
    docs = all_cards(inputs)
    system = inputs.system
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
