"""``steward evidence``: record evaluation results, red-team and fairness runs, reviews and attestations."""

from __future__ import annotations

from pathlib import Path

import click

from steward.app import governance
from steward.cli._govern_io import hash_inputs, open_register, read_document, record_evidence
from steward.cli._options import RECORDED_BY, input_files
from steward.cli._paging import PAGE, echo_json_page, echo_next
from steward.govern.controls import resolve_control
from steward.govern.requirements import EvidenceKind

__all__ = ["command"]

_METRIC_KINDS = [k.value for k in EvidenceKind if k not in (EvidenceKind.ATTESTATION, EvidenceKind.REVIEW)]


@click.group("evidence")
def command() -> None:
    """Record and list the evidence gates and cards are built from."""


def _check_controls(controls: tuple[str, ...]) -> list[str]:
    for ref in controls:
        resolve_control(ref)
    return list(controls)


@command.command("add")
@click.argument("system_id")
@click.argument("path")
@click.option("--kind", type=click.Choice(_METRIC_KINDS), default="evaluation", show_default=True)
@click.option("--name", required=True, help="What was measured; release requirements match on it.")
@click.option("--subject", required=True, help="The thing tested, e.g. model:credit-lr or guardrail:support.")
@click.option("--subject-version", required=True, help="The version of the thing tested.")
@click.option("--control", "controls", multiple=True, help="A control this evidence supports (catalogue:id).")
@input_files("An input file to hash into the record (test data, model file).")
@RECORDED_BY
def add(
    system_id: str,
    path: str,
    kind: str,
    name: str,
    subject: str,
    subject_version: str,
    controls: tuple[str, ...],
    inputs: tuple[Path, ...],
    actor: str | None,
) -> None:
    """Record the metrics JSON in PATH ('-' for stdin), e.g. the output of `steward eval --json`."""
    recorded = record_evidence(
        read_document(path),
        system_id=system_id,
        kind=EvidenceKind(kind),
        name=name,
        subject=subject,
        subject_version=subject_version,
        actor=actor,
        controls=_check_controls(controls),
        inputs=hash_inputs(inputs),
        source=Path(path).name if path != "-" else "stdin",
    )
    system, evidence = recorded.system, recorded.evidence
    click.echo(
        f"recorded {evidence.id}: {kind} {name!r} for {system.id} {system.version} ({len(evidence.metrics)} metrics, {len(evidence.slices)} groups, sha256 {evidence.content_sha256[:12]})"
    )


@command.command("attest")
@click.argument("system_id")
@click.option("--name", required=True)
@click.option("--statement", required=True, help="What is attested or what the review found.")
@click.option("--by", "actor", required=True, help="Who attests.")
@click.option(
    "--kind", type=click.Choice(["attestation", "review"]), default="attestation", show_default=True
)
@click.option("--failed", is_flag=True, help="Record a failed review.")
@click.option("--control", "controls", multiple=True)
def attest(
    system_id: str, name: str, statement: str, actor: str, kind: str, failed: bool, controls: tuple[str, ...]
) -> None:
    """Record a person's attestation or review outcome for the system's current version."""
    evidence = governance.attest(
        open_register(),
        system_id,
        name=name,
        statement=statement,
        actor=actor,
        kind=EvidenceKind(kind),
        passed=not failed,
        controls=_check_controls(controls),
    )
    click.echo(f"recorded {evidence.id}: {kind} {name!r} ({'failed' if failed else 'passed'})")


@command.command("list")
@click.argument("system_id")
@PAGE
@click.option("--json", "as_json", is_flag=True)
def list_(system_id: str, after: str | None, limit: int, as_json: bool) -> None:
    """List a system's evidence, oldest first, a page at a time."""
    page = open_register().evidence_page(system_id, after=after, limit=limit)
    if as_json:
        echo_json_page(
            "evidence", [e.model_dump(mode="json", exclude_none=True) for e in page.items], page.next
        )
        return
    for e in page.items:
        summary = ", ".join(f"{k}={v:.4g}" for k, v in list(e.metrics.items())[:4])
        click.echo(
            f"{e.id}  {e.recorded_at.isoformat(timespec='seconds')}  {e.system_version}  {e.kind.value}  {e.name}  {summary}"
        )
    echo_next(page.next)
