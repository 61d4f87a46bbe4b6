"""The ``steward`` command line: one module per command group, registered below.

Errors Steward raises on purpose are printed as one line naming the problem and map to
the exit codes in :mod:`steward.cli.exit_codes`; no stack trace reaches the user.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from steward.cli.exit_codes import ExitCode
from steward.errors import InputError, PolicyError, StewardError

__all__ = ["main"]


class _Group(click.Group):
    """A click group that turns Steward's errors into one-line messages and exit codes."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PolicyError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(ExitCode.POLICY_ERROR)
        except InputError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(ExitCode.INPUT_ERROR)
        except StewardError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(ExitCode.ERROR)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="steward")
def main() -> None:
    """Steward: guardrails, audit, evaluation and governance for AI systems, offline."""


def _register() -> None:
    from steward.cli import (
        audit,
        card,
        check,
        dataset,
        db,
        eval_convert,
        evidence,
        guardrail,
        keys,
        policy,
        risk,
        serve,
        system,
    )
    from steward.cli import eval as eval_cmd

    for module in (
        check,
        policy,
        card,
        dataset,
        evidence,
        risk,
        system,
        eval_cmd,
        eval_convert,
        serve,
        keys,
        audit,
        db,
        guardrail,
    ):
        main.add_command(module.command)


_register()
