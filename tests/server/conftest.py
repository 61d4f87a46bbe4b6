"""Server fixtures: one app per database backend for the session, keys of every role, helpers."""

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


@pytest.fixture(scope="session")
def _session_client(db_url: str, server_data_dir: Path) -> Iterator[TestClient]:
    """One app per backend for the session (building one costs more than most tests)."""
    settings = Settings(database_url=db_url, data_dir=server_data_dir, max_body_bytes=256 * 1024)
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def server_settings(_session_client: TestClient) -> Settings:
    """The settings of the session's app on the current backend."""
    settings: Settings = _session_client.app.state.steward.settings  # type: ignore[attr-defined]
    return settings


@pytest.fixture
def client(_session_client: TestClient) -> TestClient:
    """A test client of the session's app (lifespan run; tests use their own ids)."""
    return _session_client


@pytest.fixture
def state(client: TestClient) -> ServerState:
    """The app's shared state (stores, guard cache, audit writer)."""
    result: ServerState = client.app.state.steward  # type: ignore[attr-defined]
    return result


@pytest.fixture
def make_key(state: ServerState) -> Callable[[Role], NewKey]:
    """Create a key of a role in the test's database."""
    return lambda role: state.keys.create(role)


@pytest.fixture(scope="session")
def _session_keys(_session_client: TestClient) -> dict[Role, NewKey]:
    """An admin and an app key per backend (secrets are hashed slowly on purpose)."""
    keys = _session_client.app.state.steward.keys  # type: ignore[attr-defined]
    return {role: keys.create(role) for role in (Role.ADMIN, Role.APP)}


@pytest.fixture
def admin(_session_keys: dict[Role, NewKey]) -> dict[str, str]:
    """Headers of an admin key."""
    return bearer(_session_keys[Role.ADMIN])


@pytest.fixture
def app_key(_session_keys: dict[Role, NewKey]) -> dict[str, str]:
    """Headers of an app key."""
    return bearer(_session_keys[Role.APP])


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
