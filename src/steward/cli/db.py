"""``steward db``: the schema (upgrade, current) and the retention of kept data (prune, forget-subject)."""

from __future__ import annotations

import json

import click

__all__ = ["command"]

_URL = click.option("--database-url", envvar="STEWARD_DATABASE_URL", help="SQLite or PostgreSQL URL.")


@click.group("db")
def command() -> None:
    """Database migrations."""


@command.command("upgrade")
@_URL
def upgrade_(**kwargs: str | None) -> None:
    """Run every pending migration."""
    from steward.app import system

    shown, revision = system.upgrade(kwargs.get("database_url"))
    click.echo(f"ok: {shown} is at revision {revision}")


@command.command("current")
@_URL
def current(**kwargs: str | None) -> None:
    """Print the database's migration revision (or 'empty')."""
    from steward.app import system

    click.echo(system.revision(kwargs.get("database_url")) or "empty")


@command.command("prune")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@_URL
def prune_(as_json: bool, database_url: str | None) -> None:
    """Delete kept data past its retention and shred the expired data keys (as the server does daily)."""
    from steward.app import audit as use
    from steward.app.context import local_app

    with local_app(database_url) as app:
        report = use.enforce_retention(app)
    if as_json:
        click.echo(json.dumps(report.to_dict()))
        return
    click.echo(", ".join(f"{k}: {v}" for k, v in report.to_dict().items()))


@command.command("forget-subject")
@click.argument("user_id")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@_URL
def forget_subject_(user_id: str, as_json: bool, database_url: str | None) -> None:
    """Delete one end user's feedback, appeals and appealed items (a data-protection request).

    USER_ID is the id the application sent as the end user's (Steward stores only a keyed hash of it).
    """
    from steward.app import audit as use
    from steward.app.context import local_app

    with local_app(database_url) as app:
        report = use.forget_subject(app, user_id)
    if report is None:
        raise click.UsageError("USER_ID must not be empty")
    out = {k: v for k, v in report.to_dict().items() if k in ("reviewItems", "feedback", "appeals")}
    if as_json:
        click.echo(json.dumps(out))
        return
    click.echo(", ".join(f"{k}: {v}" for k, v in out.items()))
