"""A database that cannot be reached, or a data directory that is a file: exit 6 and one line.

Every command that opens the database must name the problem (the database, the path) in
one line on stderr and exit with 6 ("another Steward error: storage"), never print a
driver's stack trace and exit 1.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from steward.cli import main

#: Commands that open the database, with arguments that would otherwise succeed.
COMMANDS = [
    ["serve"],
    ["audit", "search"],
    ["audit", "export"],
    ["audit", "verify"],
    ["keys", "list"],
    ["keys", "create", "--role", "app", "--init"],
    ["keys", "revoke", "STWNOPE"],
    ["guardrail", "list"],
    ["db", "upgrade"],
    ["db", "current"],
]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def no_server(server_runs: list[dict[str, object]]) -> Iterator[None]:
    """Nothing starts for real: ``serve`` must fail before it would listen."""
    yield
    assert server_runs == [], "serve started the server although the database is unusable"


def _assert_one_line(result: object, *needles: str) -> None:
    from click.testing import Result

    assert isinstance(result, Result)
    assert result.exit_code == 6, (result.output, result.exception)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a))
def test_an_unreachable_database_is_one_line_and_exit_6(
    args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_server: None
) -> None:
    port = _closed_port()
    monkeypatch.setenv("STEWARD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("STEWARD_DATABASE_URL", f"postgresql://postgres:hunter2@127.0.0.1:{port}/test")
    result = CliRunner().invoke(main, args)
    _assert_one_line(result, f"127.0.0.1:{port}", "cannot be used")
    assert "hunter2" not in result.output  # the password is never echoed


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a))
def test_a_data_directory_that_is_a_file_is_one_line_and_exit_6(
    args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_server: None
) -> None:
    not_a_dir = tmp_path / "data"
    not_a_dir.write_text("I am a file\n")
    monkeypatch.setenv("STEWARD_DATA_DIR", str(not_a_dir))
    monkeypatch.delenv("STEWARD_DATABASE_URL", raising=False)
    monkeypatch.delenv("STEWARD_SECRET_KEY", raising=False)
    result = CliRunner().invoke(main, args)
    _assert_one_line(result, str(not_a_dir), "not a directory")
    assert not_a_dir.read_text() == "I am a file\n"


def test_the_real_process_prints_no_traceback(tmp_path: Path) -> None:
    """The installed entry point, not only click's runner: stderr is one line, exit 6."""
    import os

    env = {
        **os.environ,
        "STEWARD_DATA_DIR": str(tmp_path),
        "STEWARD_DATABASE_URL": f"postgresql://postgres@127.0.0.1:{_closed_port()}/test",
    }
    proc = subprocess.run(
        [sys.executable, "-c", "from steward.cli import main; main()", "keys", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 6, proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "args",
    [["system", "list"], ["risk", "list", "credit"], ["evidence", "list", "credit"], ["system", "due"]],
    ids=lambda a: " ".join(a),
)
def test_governance_commands_never_create_a_database(
    args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """They once migrated whatever the URL named into existence; now they say no server made it."""
    monkeypatch.setenv("STEWARD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("STEWARD_DATABASE_URL", f"sqlite:///{tmp_path / 'elsewhere.db'}")
    result = CliRunner().invoke(main, args)
    _assert_one_line(result, "no Steward database", "steward db upgrade")
    assert not (tmp_path / "elsewhere.db").exists()


def test_a_bad_setting_is_one_line_naming_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STEWARD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("STEWARD_AUDIT_BATCH", "0")
    result = CliRunner().invoke(main, ["keys", "list"])
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: STEWARD_AUDIT_BATCH: "), result.output
