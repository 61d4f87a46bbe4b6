"""``steward policy``: validate policy files and show the ready-made packs.

The policy library is imported inside each command: validating a policy loads what its
detectors read, which ``steward --help`` should not pay for.
"""

from __future__ import annotations

import click

__all__ = ["command"]


@click.group("policy")
def command() -> None:
    """Validate, show and list policies."""


@command.command("validate")
@click.argument("path", type=click.Path(dir_okay=False))
def validate(path: str) -> None:
    """Check a policy file; print every problem with the field at fault."""
    from steward.policy import load_policy

    policy = load_policy(path)
    click.echo(f"ok: policy {policy.name!r} is valid")


@command.command("show")
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True)
def show(name: str, fmt: str) -> None:
    """Print a policy pack (or file) in full, with every default filled in."""
    from steward.policy import dump_policy, load_policy

    click.echo(dump_policy(load_policy(name), fmt=fmt), nl=False)


@command.command("list")
def list_() -> None:
    """List the ready-made policy packs."""
    from importlib import resources

    import yaml

    # The shipped packs are validated by the test suite; listing reads only their descriptions.
    # Reached from the ``steward`` package: importing ``steward.policy`` loads the schema
    # (pydantic), and validating a pack loads what its learned detectors read, 0.1 s each.
    packs = resources.files("steward") / "policy" / "packs"
    for path in sorted((p for p in packs.iterdir() if p.name.endswith(".yaml")), key=lambda p: p.name):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        description = document.get("description", "") if isinstance(document, dict) else ""
        click.echo(f"{path.name.removesuffix('.yaml'):12} {description}")
