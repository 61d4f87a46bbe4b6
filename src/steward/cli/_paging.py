"""One page of a stored list, as the commands that list stored rows take and print it.

The CLI pages a list the way the API does (``GET /v1/feedback``, the governance register's
lists): ``--limit`` rows from after the cursor ``--after``, and the cursor of the next page
(``next``), which is passed back as ``--after`` for the page after. A page of ``--json`` is the
API's object, ``{"<list>": [...], "next": cursor or null}``; a text page ends with the line
``next: CURSOR`` when there are more rows. A cursor that names no row is the store's own
:class:`~steward.errors.InputError` naming ``after`` (exit 5, one line).
"""

from __future__ import annotations

import json
from typing import Any

import click

from steward.cli._options import options

__all__ = ["PAGE", "echo_json_page", "echo_next"]

#: ``--after`` and ``--limit``: which page of the list to print.
PAGE = options(
    click.option(
        "--after", metavar="CURSOR", default=None, help="Start after this cursor (a previous page's `next`)."
    ),
    click.option(
        "--limit",
        type=click.IntRange(1, 10_000),
        default=100,
        show_default=True,
        help="Most rows in the page.",
    ),
)


def echo_json_page(name: str, rows: list[Any], next_cursor: str | None) -> None:
    """Print one page as JSON, shaped as the API's: ``{name: rows, "next": cursor}``."""
    click.echo(json.dumps({name: rows, "next": next_cursor}, indent=2, ensure_ascii=False))


def echo_next(next_cursor: str | None) -> None:
    """End a text page with the next page's cursor, when there is a next page."""
    if next_cursor is not None:
        click.echo(f"next: {next_cursor}")
