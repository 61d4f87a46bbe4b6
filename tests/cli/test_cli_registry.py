"""Every registered command loads, and starting ``steward`` loads no heavy library.

Commands are imported on first use (``COMMANDS`` in :mod:`steward.cli`), so ``steward --help``
must not import the database, model or web libraries; which modules a start-up imports is
checked, not how long it takes.
"""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from steward.cli import COMMANDS, SUMMARIES, main

HEAVY = ("onnxruntime", "sqlalchemy", "fastapi", "numpy", "tokenizers")

_PROBE = """
import json, sys
from steward.cli import main
try:
    main(sys.argv[1:], prog_name="steward")
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {heavy})), file=sys.stderr)
"""


def _heavy_modules_after(*args: str) -> list[str]:
    probe = _PROBE.format(heavy=set(HEAVY))
    proc = subprocess.run(
        [sys.executable, "-c", probe, *args], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.stdout.strip(), proc.stderr
    loaded: list[str] = json.loads(proc.stderr.strip().splitlines()[-1])
    return loaded


@pytest.mark.parametrize("args", [["--help"], ["policy", "list"]])
def test_starting_steward_imports_no_heavy_library(args: list[str]) -> None:
    assert _heavy_modules_after(*args) == []


def test_a_command_that_needs_a_heavy_library_still_gets_it() -> None:
    """The probe does see imports: ``db current`` needs SQLAlchemy."""
    assert "sqlalchemy" in _heavy_modules_after("db", "current", "--database-url", "sqlite:///:memory:")


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_registered_command_loads_under_its_name(name: str) -> None:
    command = main.get_command(click.Context(main), name)
    assert isinstance(command, click.Command)
    assert command.name == name
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Usage: main {name}") or f" {name} " in result.output.splitlines()[0]


def test_every_command_has_its_own_summary() -> None:
    assert set(SUMMARIES) == set(COMMANDS), "add the command's one-line summary to SUMMARIES"
    ctx = click.Context(main)
    for name in COMMANDS:
        command = main.get_command(ctx, name)
        assert command is not None
        assert SUMMARIES[name] == command.get_short_help_str(limit=1000), name


def test_help_lists_every_command_and_unknown_ones_are_usage_errors() -> None:
    listed = CliRunner().invoke(main, ["--help"]).output
    for name in COMMANDS:
        assert f"\n  {name} " in listed
    unknown = CliRunner().invoke(main, ["no-such-command"])
    assert unknown.exit_code == 2 and "No such command" in unknown.output


def test_policy_list_reads_what_the_validated_packs_say() -> None:
    """``policy list`` reads the pack files without validating them: it must agree with the validated packs."""
    from steward.policy import list_packs, load_policy

    result = CliRunner().invoke(main, ["policy", "list"])
    assert result.exit_code == 0, result.output
    expected = [f"{name:12} {load_policy(name).description}" for name in list_packs()]
    assert result.output.splitlines() == expected
