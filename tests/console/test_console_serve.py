"""``steward serve`` (what ``bash scripts/run.sh`` runs) serves the console and prints its address.

The console is mounted by :mod:`steward.asgi` on the API of :func:`steward.server.app.create_app`,
which stays the API alone; what ``serve`` hands its workers must be the composed application.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from fastapi.testclient import TestClient
from uvicorn.importer import import_from_string

from steward import asgi
from steward.cli import main
from steward.server import app as api
from steward.server import supervisor
from steward.settings import Settings


def _paths(app: FastAPI) -> dict[str, int]:
    """The status of the API's health check, the console's sign-in form and a console asset."""
    client = TestClient(app)  # no lifespan: nothing to warm or schedule for three GETs
    try:
        return {
            path: client.get(path, follow_redirects=False).status_code
            for path in ("/health", "/console/sign-in", "/console/static/console.css")
        }
    finally:
        app.state.steward.close()


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
    # The factory the workers call is the composed one, and the app it builds has that console.
    factory = import_from_string(runs[0]["app"])
    assert factory is asgi.worker_app
    assert _paths(factory()) == {"/health": 200, "/console/sign-in": 200, "/console/static/console.css": 200}


def test_the_api_factory_serves_no_console_and_the_served_one_does(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'api.db'}", data_dir=tmp_path)
    assert _paths(api.create_app(settings)) == {
        "/health": 200,
        "/console/sign-in": 404,
        "/console/static/console.css": 404,
    }
    assert _paths(asgi.create_app(settings, prepare=False)) == {
        "/health": 200,
        "/console/sign-in": 200,
        "/console/static/console.css": 200,
    }
