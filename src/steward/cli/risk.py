"""``steward risk``: a system's risk register, its heat map and its risk report."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from steward.cli._govern_io import open_register, read_yaml, write_output
from steward.cli._paging import PAGE, echo_json_page, echo_next
from steward.errors import InputError
from steward.govern._validation import parse_model
from steward.govern.documents import FORMATS, Document, Section
from steward.govern.heatmap import heatmap_table, heatmap_text
from steward.govern.report import risk_report
from steward.govern.risk import Risk

__all__ = ["command"]


@click.group("risk")
def command() -> None:
    """Record risks, see the heat map, write the risk report."""


def _risk_docs(data: Any, path: str) -> list[tuple[str, Any]]:
    if isinstance(data, dict) and "risks" in data:
        items = data["risks"]
        if not isinstance(items, list):
            raise InputError("must be a list of risks", field=f"{path}: risks")
        return [(f"{path}: risks[{i}]", item) for i, item in enumerate(items)]
    return [(path, data)]


@command.command("add")
@click.argument("system_id")
@click.argument("path")
def add(system_id: str, path: str) -> None:
    """Add or update the risks in PATH (one risk, or a list under 'risks:') for SYSTEM_ID."""
    risks = []
    for origin, doc in _risk_docs(read_yaml(path), path):
        if isinstance(doc, dict):
            doc = {"system_id": system_id, **doc}
        risk = parse_model(Risk, doc, origin=origin)
        if risk.system_id != system_id:
            raise InputError(f"belongs to system {risk.system_id!r}, not {system_id!r}", field=origin)
        risks.append(risk)
    store = open_register()
    store.get_system(system_id)
    for risk in risks:
        store.put_risk(risk)
        click.echo(
            f"risk {risk.id}: {risk.inherent_score} {risk.inherent_rating.value}"
            + (
                f" -> residual {risk.residual_score} {risk.residual_rating.value}"
                if risk.residual_rating
                else ""
            )
        )


@command.command("list")
@click.argument("system_id")
@PAGE
@click.option("--json", "as_json", is_flag=True)
def list_(system_id: str, after: str | None, limit: int, as_json: bool) -> None:
    """List a system's risks by id with their scores and ratings, a page at a time."""
    page = open_register().risks_page(system_id, after=after, limit=limit)
    risks = page.items
    if as_json:
        rows = [
            {
                **r.model_dump(mode="json", exclude_none=True),
                "inherent_score": r.inherent_score,
                "inherent_rating": r.inherent_rating.value,
                "residual_score": r.residual_score,
                "residual_rating": r.residual_rating.value if r.residual_rating else None,
            }
            for r in risks
        ]
        echo_json_page("risks", rows, page.next)
        return
    for r in risks:
        residual = f"{r.residual_score} {r.residual_rating.value}" if r.residual_rating else "not assessed"
        click.echo(
            f"{r.id}\t{r.inherent_score} {r.inherent_rating.value}\t-> {residual}\t{r.treatment.value if r.treatment else 'untreated'}\t{r.title}"
        )
    echo_next(page.next)


@command.command("remove")
@click.argument("system_id")
@click.argument("risk_id")
def remove(system_id: str, risk_id: str) -> None:
    """Remove one risk from a system's register."""
    open_register().delete_risk(system_id, risk_id)
    click.echo(f"removed risk {risk_id}")


@command.command("heatmap")
@click.argument("system_id")
@click.option("--residual", is_flag=True, help="Place risks by their residual (post-treatment) scores.")
@click.option("--format", "fmt", type=click.Choice(["text", *FORMATS]), default="text", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
def heatmap(system_id: str, residual: bool, fmt: str, out: Path | None) -> None:
    """Print the 5×5 heat map of a system's risks (text, or Markdown/HTML/JSON with coloured bands)."""
    store = open_register()
    system = store.get_system(system_id)
    risks = store.list_risks(system_id)
    if fmt == "text":
        text = heatmap_text(risks, residual=residual)
        if out is None:
            click.echo(text)
        else:
            out.write_text(text + "\n", encoding="utf-8")
            click.echo(f"wrote {out}")
        return
    doc = Document(
        kind="heat-map",
        title=f"Risk heat map: {system.name}",
        subtitle=f"{system.id} version {system.version}",
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        sections=[Section("Heat map", tables=[heatmap_table(risks, residual=residual)])],
    )
    write_output(doc, fmt, out)


@command.command("report")
@click.argument("system_id")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="md", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
def report(system_id: str, fmt: str, out: Path | None) -> None:
    """Write the risk report: use case, stakeholders, risks with ratings, mitigations, heat maps."""
    store = open_register()
    system = store.get_system(system_id)
    write_output(risk_report(system, store.list_risks(system_id), now=datetime.now(UTC)), fmt, out)
