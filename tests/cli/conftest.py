"""Fixtures of the CLI tests."""

from __future__ import annotations

import importlib
from typing import Any

import pytest


@pytest.fixture
def server_runs(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """``steward serve`` does everything but listen: each call that would start the server is recorded.

    Both ways ``serve`` has started uvicorn are caught (``uvicorn.run``, and Steward's own
    supervisor ``steward.server.supervisor.run``), so no test ever leaves a server running.
    """
    import uvicorn

    runs: list[dict[str, Any]] = []

    def record(*_args: Any, **kwargs: Any) -> None:
        runs.append(kwargs)

    monkeypatch.setattr(uvicorn, "run", record)
    try:
        supervisor = importlib.import_module("steward.server.supervisor")
    except ImportError:
        pass
    else:
        monkeypatch.setattr(supervisor, "run", record)
    return runs
