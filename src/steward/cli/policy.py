"""``steward policy``: validate policy files and show the ready-made packs."""

from __future__ import annotations

import click

from steward.policy import dump_policy, list_packs, load_policy

__all__ = ["command"]


@click.group("policy")
def command() -> None:
    """Validate, show and list policies."""


@command.command("validate")
@click.argument("path", type=click.Path(dir_okay=False))
def validate(path: str) -> None:
    """Check a policy file; print every problem with the field at fault."""
    policy = load_policy(path)
    click.echo(f"ok: policy {policy.name!r} is valid")


@command.command("show")
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True)
def show(name: str, fmt: str) -> None:
    """Print a policy pack (or file) in full, with every default filled in."""
    click.echo(dump_policy(load_policy(name), fmt=fmt), nl=False)


@command.command("list")
def list_() -> None:
    """List the ready-made policy packs."""
    for name in list_packs():
        policy = load_policy(name)
        click.echo(f"{name:12} {policy.description}")
