"""``steward serve`` (what ``bash scripts/run.sh`` runs) prints the console's address on stdout."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from steward.cli import main
from steward.server import supervisor


def test_serve_prints_the_console_address(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runs: list[dict[str, Any]] = []
    monkeypatch.setattr(supervisor, "run", lambda **kw: runs.append(kw))  # everything but listen
    monkeypatch.setenv("STEWARD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("STEWARD_DATABASE_URL", f"sqlite:///{tmp_path / 'run.db'}")
    monkeypatch.delenv("STEWARD_SECRET_KEY", raising=False)
    result = CliRunner().invoke(main, ["serve", "--bootstrap-admin-key", "--port", "9124"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert any(line.startswith("Steward console on http://127.0.0.1:9124/console ") for line in lines), lines
    assert runs and runs[0]["port"] == 9124
