"""``steward keys``: create, list and revoke API keys on the host running the server."""

from __future__ import annotations

import json

import click

from steward.app import keys as use
from steward.app.context import local_app
from steward.app.keys import Role

__all__ = ["command"]

_URL = click.option("--database-url", envvar="STEWARD_DATABASE_URL", help="SQLite or PostgreSQL URL.")


@click.group("keys")
def command() -> None:
    """API keys and their roles (admin, app, reviewer, auditor)."""


@command.command("create")
@click.option(
    "--role", required=True, type=click.Choice([r.value for r in Role]), help="What the key may do."
)
@click.option("--name", default="", help="A label to recognise the key by.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object {id, secret, role}.")
@click.option(
    "--init",
    is_flag=True,
    help="Create the database (and the server key) if no server has used this data directory yet.",
)
@_URL
def create(role: str, name: str, as_json: bool, init: bool, database_url: str | None) -> None:
    """Create a key and print its id and secret (shown this once only)."""
    with local_app(database_url, create=init, create_hint=", or pass --init to create it here") as app:
        key = use.create(app, Role(role), name=name, same_key=True)
    if as_json:
        click.echo(json.dumps(key.to_dict()))
        return
    click.echo(f"id:     {key.id}\nsecret: {key.secret}\nrole:   {key.role.value}")
    click.echo(f"bearer: Authorization: Bearer {key.bearer}")
    click.echo("The secret is not stored in the clear and cannot be shown again.", err=True)


@command.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines.")
@_URL
def list_(as_json: bool, database_url: str | None) -> None:
    """List keys (never their secrets)."""
    with local_app(database_url) as app:
        keys = app.keys.list_all()
    for key in keys:
        if as_json:
            click.echo(json.dumps(key.to_dict()))
        else:
            status = "active" if key.active else "revoked"
            click.echo(f"{key.id}  {key.role.value:9} {status:8} {key.name}")


@command.command("revoke")
@click.argument("key_id")
@_URL
def revoke(key_id: str, database_url: str | None) -> None:
    """Revoke a key (other server processes notice within STEWARD_KEY_CACHE_TTL_S)."""
    with local_app(database_url) as app:
        info = use.revoke(app, key_id)
    click.echo(f"revoked: {info.id} ({info.role.value})")


@command.command("rotate-master")
@click.option(
    "--new", "make_new", is_flag=True, help="First make a fresh master key current in the key file."
)
@click.option(
    "--retire", is_flag=True, help="Then drop old master keys that no data key uses from the key file."
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@_URL
def rotate_master_(make_new: bool, retire: bool, as_json: bool, database_url: str | None) -> None:
    """Re-wrap every data key under the current master key (safe to run again; no downtime)."""
    with local_app(database_url) as app:
        report, retired = use.rotate(app, new=make_new, retire=retire)
    out = {**report.to_dict(), "retired": retired}
    if as_json:
        click.echo(json.dumps(out))
        return
    click.echo(
        f"master key {report.master_id}: {report.rewrapped} data keys re-wrapped, "
        f"{report.already} already under it, {report.shredded} shredded"
    )
    if retired:
        click.echo(f"retired master keys: {', '.join(retired)}")
