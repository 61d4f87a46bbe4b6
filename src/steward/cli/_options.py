"""Options several commands share, defined once so that each reads, and is documented, the same way.

``options(a, b, c)`` is one decorator that applies ``a``, ``b`` and ``c`` as if they were stacked
in that order above the function (so ``--help`` lists them in that order): the way a command
groups options it takes together (a table's format, a run's evidence).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

__all__ = ["POLICY", "RECORDED_BY", "input_files", "options"]

F = TypeVar("F", bound=Callable[..., Any])

#: The policy a command applies: a file, or the name of a ready-made pack.
POLICY = click.option(
    "--policy", "policy_ref", default="default", show_default=True, help="Policy file or pack name."
)

#: Who records a measurement as evidence (kept with it).
RECORDED_BY = click.option("--by", "actor", default=None, help="Who recorded it.")


def input_files(help: str) -> Callable[[F], F]:
    """``--input`` (repeatable): files hashed into recorded evidence, so a record names its inputs."""
    return click.option(
        "--input",
        "inputs",
        multiple=True,
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help=help,
    )


def options(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    """The ``decorators`` (click options) as one, applied as if stacked in the order given."""

    def apply(fn: F) -> F:
        for decorator in reversed(decorators):
            fn = decorator(fn)
        return fn

    return apply
