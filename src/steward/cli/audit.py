"""``steward audit``: search and export the audit trail straight from the database."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any

import click

from steward.app import audit as use
from steward.app.audit import MAX_PAGE, POLICIES, AuditQuery
from steward.app.context import local_app
from steward.errors import StorageError

__all__ = ["command"]


def _filters(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--since", type=click.DateTime(), help="From this time (UTC)."),
        click.option("--until", type=click.DateTime(), help="Up to this time (UTC)."),
        click.option("--guardrail", help="Guardrail id."),
        click.option("--version", "version_", help="Guardrail version."),
        click.option("--action", type=click.Choice(["NONE", "GUARDRAIL_INTERVENED"])),
        click.option("--source", type=click.Choice(["input", "output"])),
        click.option("--type", "finding_type", help="A finding type, e.g. EMAIL."),
        click.option(
            "--policy",
            type=click.Choice(list(POLICIES), case_sensitive=False),
            help="Only decisions with a finding of this policy.",
        ),
        click.option("--database-url", envvar="STEWARD_DATABASE_URL", help="SQLite or PostgreSQL URL."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _query(
    since: datetime | None,
    until: datetime | None,
    guardrail: str | None,
    version_: str | None,
    action: str | None,
    source: str | None,
    finding_type: str | None,
    policy: str | None,
    limit: int = 100,
) -> AuditQuery:
    return AuditQuery(
        since=since,
        until=until,
        guardrail_id=guardrail,
        version=version_,
        action=action,
        source=source,
        finding_type=finding_type,
        policy=policy,
        limit=limit,
    )


@click.group("audit")
def command() -> None:
    """Search and export guardrail decisions."""


@command.command("search")
@_filters
@click.option("--limit", type=click.IntRange(1, MAX_PAGE), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines.")
def search_(database_url: str | None, limit: int, as_json: bool, **filters: Any) -> None:
    """The newest matching decisions."""
    with local_app(database_url) as app:
        page = use.search(app, _query(**filters, limit=limit))
    for record in page["records"]:
        if as_json:
            click.echo(json.dumps(record))
        else:
            types = ",".join(record["findingTypes"]) or "-"
            click.echo(
                f"{record['createdAt']}  {record['guardrailId'] or '(inline)'}:{record['version'] or '-'}  "
                f"{record['source']:6} {record['action']:20} {types}  {record['requestId']}"
                + ("  receipt" if record.get("receipt") else "")
            )


@command.command("export")
@_filters
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, writable=True), help="File (default: stdout)."
)
def export_(database_url: str | None, fmt: str, output: str | None, **filters: Any) -> None:
    """Every matching decision, oldest first."""
    with local_app(database_url) as app:
        lines = use.export(app, _query(**filters), fmt=fmt)
        if output is None:
            for line in lines:
                sys.stdout.write(line)
            return
        with open(output, "w", encoding="utf-8", newline="") as handle:
            n = -1 if fmt == "csv" else 0
            for line in lines:
                handle.write(line)
                n += 1
        click.echo(f"wrote {n} records to {output}", err=True)


@command.command("prune")
@click.option("--before", required=True, type=click.DateTime(), help="Delete records older than this (UTC).")
@click.option("--database-url", envvar="STEWARD_DATABASE_URL", help="SQLite or PostgreSQL URL.")
@click.confirmation_option(prompt="Delete these audit records for good?")
def prune_(before: datetime, database_url: str | None) -> None:
    """Delete audit records older than a date (retention)."""
    with local_app(database_url) as app:
        n = use.prune(app, before=before)
    click.echo(f"deleted {n} records created before {before.isoformat()} UTC")


@command.command("verify")
@click.option("--database-url", envvar="STEWARD_DATABASE_URL", help="SQLite or PostgreSQL URL.")
def verify_(database_url: str | None) -> None:
    """Check every audit record's HMAC and every writer's chain (needs the server key)."""
    with local_app(database_url) as app:
        result = use.verify(app, same_key=True)
    for problem in result.problems[:50]:
        click.echo(f"problem: {problem}")
    click.echo(
        f"{result.verified} of {result.records} records verified in {result.chains} chains; "
        f"{result.unchained} written before chaining or by a writer without the key"
    )
    if not result.intact:
        raise StorageError(f"the audit trail is not intact: {len(result.problems)} problem(s)")
