"""Server fixtures: an app per test on each database backend, keys of every role, helpers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from server_helpers import SMALL_POLICY, bearer

from steward.server.app import create_app
from steward.server.state import ServerState
from steward.settings import Settings
from steward.store.keys import NewKey, Role


@pytest.fixture(scope="session")
def server_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data directory (and so one server key) for the session's servers."""
    return tmp_path_factory.mktemp("steward-data")


@pytest.fixture
def server_settings(db_url: str, server_data_dir: Path) -> Settings:
    """Settings for a server on the session database of the current backend."""
    return Settings(database_url=db_url, data_dir=server_data_dir, max_body_bytes=256 * 1024)


@pytest.fixture
def client(server_settings: Settings) -> Iterator[TestClient]:
    """A test client of a fresh app (lifespan run, so the audit trail is flushed at exit)."""
    app = create_app(server_settings)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def state(client: TestClient) -> ServerState:
    """The app's shared state (stores, guard cache, audit writer)."""
    result: ServerState = client.app.state.steward  # type: ignore[attr-defined]
    return result


@pytest.fixture
def make_key(state: ServerState) -> Callable[[Role], NewKey]:
    """Create a key of a role in the test's database."""
    return lambda role: state.keys.create(role)


@pytest.fixture
def admin(make_key: Callable[[Role], NewKey]) -> dict[str, str]:
    """Headers of an admin key."""
    return bearer(make_key(Role.ADMIN))


@pytest.fixture
def app_key(make_key: Callable[[Role], NewKey]) -> dict[str, str]:
    """Headers of an app key."""
    return bearer(make_key(Role.APP))


@pytest.fixture
def new_guardrail(client: TestClient, admin: dict[str, str]) -> Callable[..., str]:
    """Create a guardrail with a unique id (the database is shared) and return its id."""
    import uuid

    def create(policy: dict[str, Any] | None = None, *, version: bool = True) -> str:
        gid = "g" + uuid.uuid4().hex[:12]
        r = client.post("/v1/guardrails", json={"id": gid, "policy": policy or SMALL_POLICY}, headers=admin)
        assert r.status_code == 201, r.text
        if version:
            r = client.post(f"/v1/guardrails/{gid}/versions", json={"description": "v1"}, headers=admin)
            assert r.status_code == 201, r.text
        return gid

    return create
