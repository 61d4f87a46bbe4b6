"""``steward eval-convert``: turn a source of the shared development data into eval JSONL.

    steward eval-convert davidson davidson.jsonl --limit 2000
    steward eval-convert --list

The data folder is ``--data-dir``, else ``$STEWARD_SHARED_DATA``, else ``../shared/data``.
"""

from __future__ import annotations

from pathlib import Path

import click

from steward.evaluate.convert import CONVERTERS, convert, write_jsonl
from steward.settings import DEFAULT_SHARED_DATA, Settings

__all__ = ["DEFAULT_DATA_DIR", "command"]

DEFAULT_DATA_DIR = DEFAULT_SHARED_DATA


def data_dir_default() -> Path:
    """Where the shared data lives unless told: ``$STEWARD_SHARED_DATA`` or ``../shared/data``."""
    return Settings.from_env().shared_data


@click.command("eval-convert")
@click.argument("name", required=False)
@click.argument("out", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None, help="Shared data folder."
)
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most N rows, evenly spaced.")
@click.option("--list", "list_only", is_flag=True, help="List the converters and exit.")
def command(
    name: str | None, out: Path | None, data_dir: Path | None, limit: int | None, list_only: bool
) -> None:
    """Convert shared data set NAME into eval JSONL at OUT (see --list for names)."""
    if list_only:
        for converter in CONVERTERS.values():
            click.echo(f"{converter.name:<20} {converter.summary}")
        return
    if name is None or out is None:
        raise click.UsageError("give NAME and OUT, or --list")
    rows = convert(name, data_dir or data_dir_default(), limit=limit)
    count = write_jsonl(rows, out)
    positives = sum(int(r["label"]) for r in rows)
    click.echo(f"{name}: wrote {count} rows ({positives} label 1, {count - positives} label 0) to {out}")
