"""``steward system``: the inventory, status changes through the release gate, controls, import/export."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import yaml

from steward.app import governance
from steward.cli._govern_io import exit_for_gate, open_register, read_document, read_yaml
from steward.cli._paging import PAGE, echo_json_page, echo_next
from steward.cli.exit_codes import ExitCode
from steward.govern._validation import parse_model
from steward.govern.controls import ControlState
from steward.govern.inventory import AISystem, Lifecycle
from steward.govern.register import dump_register, parse_register, to_document

__all__ = ["command"]

_STATUSES = [s.value for s in Lifecycle]


@click.group("system")
def command() -> None:
    """Register AI systems, move them through their life cycle, and see their controls."""


@command.command("add")
@click.argument("path")
@click.option("--replace", is_flag=True, help="Update the system if it already exists.")
def add(path: str, replace: bool) -> None:
    """Add the system described in the YAML file PATH ('-' for stdin)."""
    system = parse_model(AISystem, read_yaml(path), origin=path)
    open_register().add_system(system, replace=replace)
    click.echo(
        f"{'updated' if replace else 'added'} system {system.id} version {system.version} ({system.status.value})"
    )


@command.command("list")
@PAGE
@click.option("--json", "as_json", is_flag=True)
def list_(after: str | None, limit: int, as_json: bool) -> None:
    """List the inventory by id, a page at a time."""
    page = open_register().systems_page(after=after, limit=limit)
    if as_json:
        rows = [
            {"id": s.id, "name": s.name, "version": s.version, "status": s.status.value} for s in page.items
        ]
        echo_json_page("systems", rows, page.next)
        return
    for s in page.items:
        flag = " consequential" if s.consequential else ""
        click.echo(f"{s.id}\t{s.version}\t{s.status.value}\t{s.name}{flag}")
    echo_next(page.next)


@command.command("show")
@click.argument("system_id")
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True)
def show(system_id: str, fmt: str) -> None:
    """Print one system's record."""
    doc = open_register().get_system(system_id).model_dump(mode="json", exclude_none=True)
    click.echo(
        json.dumps(doc, indent=2, ensure_ascii=False)
        if fmt == "json"
        else yaml.safe_dump(doc, sort_keys=False, allow_unicode=True),
        nl=fmt == "json",
    )


@command.command("status")
@click.argument("system_id")
@click.argument("status", type=click.Choice(_STATUSES))
@click.option("--by", "actor", default=None, help="Who asks for the change (recorded).")
@click.option("--json", "as_json", is_flag=True)
def status(system_id: str, status: str, actor: str | None, as_json: bool) -> None:
    """Move SYSTEM_ID to STATUS; deployment and operation pass the release gate first (exit 7 if refused)."""
    decision = open_register().change_status(system_id, status, actor=actor)
    click.echo(json.dumps(decision.to_dict(), indent=2) if as_json else decision.explain())
    exit_for_gate(decision)


@command.command("gate")
@click.argument("system_id")
@click.option("--to", "target", type=click.Choice(_STATUSES), default="deployment", show_default=True)
@click.option("--json", "as_json", is_flag=True)
def gate(system_id: str, target: str, as_json: bool) -> None:
    """Say what the release gate would decide now, without changing anything (exit 7 if it would refuse)."""
    decision = open_register().check_gate(system_id, target)
    click.echo(json.dumps(decision.to_dict(), indent=2) if as_json else decision.explain())
    exit_for_gate(decision)


@command.command("decisions")
@click.argument("system_id")
@PAGE
def decisions(system_id: str, after: str | None, limit: int) -> None:
    """List the recorded release-gate decisions of a system, oldest first, a page at a time."""
    page = open_register().decisions_page(system_id, after=after, limit=limit)
    for d in page.items:
        verdict = "allowed" if d.allowed else "REFUSED"
        click.echo(
            f"{d.decided_at.isoformat(timespec='seconds')}  {verdict}  {d.system_version}  {d.from_status.value} -> {d.to_status.value}  by {d.decided_by or '-'}"
        )
        for missing in d.missing:
            click.echo(f"    missing: {missing}")
    echo_next(page.next)


@command.command("controls")
@click.argument("system_id")
@click.option(
    "--state", type=click.Choice([s.value for s in ControlState]), default=None, help="Show only this state."
)
@click.option("--json", "as_json", is_flag=True)
def controls(system_id: str, state: str | None, as_json: bool) -> None:
    """Which catalogue controls apply to a system, which are met and by what evidence, and the gaps."""
    coverage = governance.controls(open_register(), system_id)
    shown = [c for c in coverage if state is None or c.state.value == state]
    if as_json:
        click.echo(json.dumps([c.to_dict() for c in shown], indent=2))
        return
    for c in shown:
        detail = ", ".join(c.evidence) if c.evidence else c.reason
        click.echo(f"{c.state.value:<15} {c.ref:<28} {c.title}" + (f"  [{detail}]" if detail else ""))
    met = sum(c.state is ControlState.MET for c in coverage)
    gaps = sum(c.state is ControlState.GAP for c in coverage)
    click.echo(f"{met} met, {gaps} gaps, {len(coverage) - met - gaps} not applicable")


@command.command("due")
@click.option(
    "--within",
    "within_days",
    default=30,
    show_default=True,
    type=click.IntRange(0, 3650),
    help="Days ahead to look.",
)
@click.option("--json", "as_json", is_flag=True)
def due(within_days: int, as_json: bool) -> None:
    """List risk reviews and release evidence due within N days across the inventory (exit 7 if any is overdue)."""
    items = governance.due(open_register(), within_days=within_days)
    if as_json:
        click.echo(json.dumps([i.to_dict() for i in items], indent=2))
    else:
        for i in items:
            flag = "OVERDUE" if i.overdue else "due"
            click.echo(f"{flag:<8} {i.due.isoformat() if i.due else '-':<10}  {i.system_id}  {i.what}")
        if not items:
            click.echo(f"nothing due within {within_days} days")
    if any(i.overdue for i in items):
        sys.exit(ExitCode.GATE_FAILED)


@command.command("export")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File to write (default: stdout).",
)
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True)
def export(out: Path | None, fmt: str) -> None:
    """Export the whole register (systems, datasheets, risks, evidence, decisions) as YAML or JSON."""
    register = open_register().export_register()
    text = (
        dump_register(register)
        if fmt == "yaml"
        else json.dumps(to_document(register), indent=2, ensure_ascii=False) + "\n"
    )
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"wrote {out}")


@command.command("import")
@click.argument("path")
def import_(path: str) -> None:
    """Import a register file; all or nothing. Evidence and decisions already stored are kept."""
    register = parse_register(read_document(path), origin=path)
    counts = open_register().import_register(register)
    click.echo("imported " + ", ".join(f"{v} {k}" for k, v in counts.items()))
