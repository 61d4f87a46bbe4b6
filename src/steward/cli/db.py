"""``steward db``: the schema (upgrade, current) and the retention of kept data (prune, forget-subject)."""

from __future__ import annotations

import json

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


@command.command("prune")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@_URL
def prune_(as_json: bool, database_url: str | None) -> None:
    """Delete kept data past its retention and shred the expired data keys (as the server does daily)."""
    from steward.audit.chain import chain_key
    from steward.audit.retention import RetentionRules, enforce
    from steward.store.local import open_stores

    with open_stores(database_url) as stores:
        stores.require_same_key()  # checkpoints are MACed with the chain key: it must be the server's
        report = enforce(
            stores.sessions, RetentionRules.load(stores.sessions), chain_key=chain_key(stores.server_key)
        )
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
    from steward.audit.retention import forget_subject
    from steward.review.queue import ReviewQueue
    from steward.review.voice import Voice, user_key
    from steward.store.local import open_stores

    with open_stores(database_url) as stores:
        stores.require_same_key()  # the keyed hash needs the server's key to match what was stored
        voice = Voice(ReviewQueue.over(stores.sessions, stores.keys.sealer), user_key(stores.server_key))
        subject = voice.user_hash(user_id)  # the same keyed hash feedback and appeals stored
        if subject is None:
            raise click.UsageError("USER_ID must not be empty")
        report = forget_subject(stores.sessions, subject)
    out = {k: v for k, v in report.to_dict().items() if k in ("reviewItems", "feedback", "appeals")}
    if as_json:
        click.echo(json.dumps(out))
        return
    click.echo(", ".join(f"{k}: {v}" for k, v in out.items()))
