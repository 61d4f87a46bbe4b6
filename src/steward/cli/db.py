"""``steward db``: bring the database schema up to date, or say where it stands."""

from __future__ import annotations

import click

from steward.store.db import current_revision, database_url, normalise_url, upgrade

__all__ = ["command"]

_URL = click.option("--database-url", envvar="STEWARD_DATABASE_URL", help="SQLite or PostgreSQL URL.")


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@click.group("db")
def command() -> None:
    """Database migrations."""


@command.command("upgrade")
@_URL
def upgrade_(**kwargs: str | None) -> None:
    """Run every pending migration."""
    url = normalise_url(kwargs.get("database_url") or database_url())
    upgrade(url)
    click.echo(f"ok: {_safe(url)} is at revision {current_revision(url)}")


@command.command("current")
@_URL
def current(**kwargs: str | None) -> None:
    """Print the database's migration revision (or 'empty')."""
    url = normalise_url(kwargs.get("database_url") or database_url())
    click.echo(current_revision(url) or "empty")
