"""``steward guardrail``: manage guardrails, versions and aliases straight from the database."""

from __future__ import annotations

import json

import click

from steward.app import guardrails as use
from steward.app.context import local_app
from steward.policy import load_policy

__all__ = ["command"]

_URL = click.option("--database-url", envvar="STEWARD_DATABASE_URL", help="SQLite or PostgreSQL URL.")


@click.group("guardrail")
def command() -> None:
    """Guardrails: create, edit the DRAFT, freeze versions, move aliases, compare."""


@command.command("list")
@_URL
def list_(database_url: str | None) -> None:
    """List guardrails."""
    with local_app(database_url) as app:
        for info in app.guardrails.list_all():
            click.echo(f"{info.id:24} rev {info.draft_revision:<4} {info.name}")


@command.command("show")
@click.argument("guardrail_id")
@_URL
def show(guardrail_id: str, database_url: str | None) -> None:
    """A guardrail with its DRAFT policy, versions and aliases, as JSON."""
    with local_app(database_url) as app:
        out = use.show(app, guardrail_id)
    click.echo(json.dumps(out, indent=2))


@command.command("create")
@click.argument("guardrail_id")
@click.option(
    "--policy", "policy_ref", required=True, help="A policy file or a pack name (default, strict...)."
)
@click.option("--name", default="")
@click.option("--description", default="")
@_URL
def create(guardrail_id: str, policy_ref: str, name: str, description: str, database_url: str | None) -> None:
    """Create a guardrail whose DRAFT holds the policy."""
    policy = load_policy(policy_ref)
    with local_app(database_url) as app:
        use.create(app, guardrail_id, policy, name=name, description=description)
    click.echo(
        f"created guardrail {guardrail_id} (DRAFT); freeze it with: steward guardrail version {guardrail_id}"
    )


@command.command("update")
@click.argument("guardrail_id")
@click.option("--policy", "policy_ref", required=True, help="A policy file or a pack name.")
@_URL
def update(guardrail_id: str, policy_ref: str, database_url: str | None) -> None:
    """Replace the DRAFT policy."""
    policy = load_policy(policy_ref)
    with local_app(database_url) as app:
        info = use.update(app, guardrail_id, policy=policy)
    click.echo(f"updated the DRAFT of {guardrail_id} (revision {info.draft_revision})")


@command.command("version")
@click.argument("guardrail_id")
@click.option("--description", default="")
@_URL
def version(guardrail_id: str, description: str, database_url: str | None) -> None:
    """Freeze the DRAFT as the next version number."""
    with local_app(database_url) as app:
        info = use.freeze(app, guardrail_id, description=description)
    click.echo(f"created version {info.version} of {guardrail_id}")


@command.command("alias")
@click.argument("guardrail_id")
@click.argument("name")
@click.argument("version_number")
@_URL
def alias(guardrail_id: str, name: str, version_number: str, database_url: str | None) -> None:
    """Point alias NAME at VERSION_NUMBER (pointing it back is the rollback)."""
    if not (version_number.isascii() and version_number.isdigit()):
        raise click.BadParameter("must be a version number", param_hint="VERSION_NUMBER")
    with local_app(database_url) as app:
        info = use.set_alias(app, guardrail_id, name, version_number, field="VERSION_NUMBER")
    click.echo(f"{guardrail_id}:{info.name} -> version {info.version}")


@command.command("diff")
@click.argument("guardrail_id")
@click.argument("from_ref")
@click.argument("to_ref", default="DRAFT")
@click.option("--json", "as_json", is_flag=True, help="The field-level changes as JSON.")
@_URL
def diff(guardrail_id: str, from_ref: str, to_ref: str, as_json: bool, database_url: str | None) -> None:
    """Compare two versions (numbers, DRAFT, latest or aliases)."""
    with local_app(database_url) as app:
        result = use.diff(app, guardrail_id, from_ref, to_ref)
    if as_json:
        click.echo(json.dumps(result["changes"], indent=2))
    else:
        click.echo(result["unified"] or "(no differences)", nl=False)


@command.command("delete")
@click.argument("guardrail_id")
@click.confirmation_option(prompt="Delete the guardrail with all its versions and aliases?")
@_URL
def delete(guardrail_id: str, database_url: str | None) -> None:
    """Delete a guardrail (its audit records stay)."""
    with local_app(database_url) as app:
        use.delete(app, guardrail_id)
    click.echo(f"deleted guardrail {guardrail_id}")
