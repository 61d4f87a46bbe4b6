"""``scripts/setup.sh`` names each step it takes; ``steward serve`` prints the key and address on stdout.

The setup script runs for real in a scratch copy of the repository, with a stand-in Python
that records what it is asked to do instead of downloading packages.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from steward.cli import main

ROOT = Path(__file__).resolve().parents[2]

#: A stand-in for python3: ``-m venv DIR`` copies itself to DIR/bin/python; the rest is logged.
_FAKE_PYTHON = """#!/usr/bin/env bash
echo "$*" >> "$FAKE_PYTHON_LOG"
if [ "$1" = "--version" ]; then echo "Python 3.11.0"; exit 0; fi
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then mkdir -p "$3/bin"; cp "$0" "$3/bin/python"; exit 0; fi
exit 0
"""


@pytest.fixture
def scratch_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "setup.sh", repo / "scripts" / "setup.sh")
    (repo / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    fake = tmp_path / "python3"
    fake.write_text(_FAKE_PYTHON)
    fake.chmod(0o755)
    return repo


def _setup(repo: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHON": str(repo.parent / "python3"),
        "FAKE_PYTHON_LOG": str(repo.parent / "python.log"),
    }
    return subprocess.run(
        ["bash", "scripts/setup.sh"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_setup_names_each_step_on_first_run_and_is_quiet_after(scratch_repo: Path) -> None:
    first = _setup(scratch_repo)
    assert first.returncode == 0, first.stderr
    steps = first.stderr.strip().splitlines()
    assert [s.split(":")[0] for s in steps] == ["setup"] * 4
    assert "creating the virtual environment .venv with Python 3.11.0" in steps[0]
    assert "upgrading pip" in steps[1]
    assert "installing Steward and its development extras" in steps[2] and "minute" in steps[2]
    assert "done" in steps[3]
    assert first.stdout == ""  # stdout is left to the server's key and address
    log = (scratch_repo.parent / "python.log").read_text()
    assert "-m pip install" in log and "-e .[dev]" in log

    again = _setup(scratch_repo)
    assert again.returncode == 0 and again.stderr == ""  # installed already: nothing to say


def test_run_script_says_it_is_starting_the_server() -> None:
    text = (ROOT / "scripts" / "run.sh").read_text()
    assert "bash scripts/setup.sh" in text and "exec steward serve --bootstrap-admin-key" in text
    proc = subprocess.run(["bash", "-n", str(ROOT / "scripts" / "run.sh")], capture_output=True, check=False)
    assert proc.returncode == 0


def test_serve_prints_the_bootstrap_key_once_and_the_address_on_stdout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server_runs: list[dict[str, object]]
) -> None:
    monkeypatch.setenv("STEWARD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("STEWARD_DATABASE_URL", f"sqlite:///{tmp_path / 'run.db'}")
    monkeypatch.delenv("STEWARD_SECRET_KEY", raising=False)
    first = CliRunner().invoke(main, ["serve", "--bootstrap-admin-key", "--port", "9123"])
    assert first.exit_code == 0, first.output
    out = first.stdout.splitlines()
    assert out[0] == "bootstrap admin key (shown once, store it now):"
    assert out[1].startswith("  id:     STW") and out[2].startswith("  secret: ")
    key_id, secret = out[1].split()[-1], out[2].split()[-1]
    assert out[3] == f"  bearer: {key_id}.{secret}"
    assert out[4].startswith("Steward listening on http://127.0.0.1:9123 ")
    assert secret not in first.stderr and "created guardrail 'default'" in first.stderr

    second = CliRunner().invoke(main, ["serve", "--bootstrap-admin-key", "--port", "9123"])
    assert second.exit_code == 0, second.output
    assert "bootstrap admin key" not in second.output  # an admin key exists: nothing new to show
    assert second.stdout.startswith("Steward listening on http://127.0.0.1:9123 ")
    assert [run["port"] for run in server_runs] == [9123, 9123]
