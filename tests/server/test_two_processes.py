"""Two real server processes sharing one PostgreSQL database, as in a scaled-out deployment."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from server_helpers import SMALL_POLICY, apply_body

from loopback_servers import steward_processes
from steward.audit.search import AuditQuery, count
from steward.store.db import make_engine, session_factory
from steward.store.keys import ApiKeyStore, Role
from steward.store.sealing import Sealer, load_server_key


@pytest.fixture
def two_servers(pg_db_url: str, tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    from steward.store.db import upgrade

    upgrade(pg_db_url)  # migrate once, so the two processes do not race on it
    with steward_processes(
        pg_db_url, tmp_path, 2, STEWARD_RESOLVE_TTL_S="0", STEWARD_KEY_CACHE_TTL_S="0"
    ) as (a, b):
        yield a, b, pg_db_url


@pytest.mark.slow
@pytest.mark.postgres
def test_version_made_on_one_is_applied_on_the_other(
    two_servers: tuple[str, str, str], tmp_path: Path
) -> None:
    a, b, url = two_servers
    engine = make_engine(url)
    sessions = session_factory(engine)
    keys = ApiKeyStore(sessions, Sealer(load_server_key(tmp_path)))
    admin_key = keys.create(Role.ADMIN)
    h = {"Authorization": f"Bearer {admin_key.bearer}"}

    with httpx.Client(timeout=30) as http:
        assert (
            http.post(
                f"{a}/v1/guardrails", json={"id": "shared", "policy": SMALL_POLICY}, headers=h
            ).status_code
            == 201
        )
        assert http.post(f"{a}/v1/guardrails/shared/versions", json={}, headers=h).status_code == 201
        r = http.post(f"{b}/guardrail/shared/version/1/apply", json=apply_body("say zorblax"), headers=h)
        assert r.status_code == 200 and r.json()["action"] == "GUARDRAIL_INTERVENED"

        # A DRAFT edit and a new version through B are seen by A.
        relaxed = {**SMALL_POLICY, "word_filters": {"words": ["quuxle"]}}
        assert http.put(f"{b}/v1/guardrails/shared", json={"policy": relaxed}, headers=h).status_code == 200
        assert (
            http.post(
                f"{a}/guardrail/shared/version/DRAFT/apply", json=apply_body("say zorblax"), headers=h
            ).json()["action"]
            == "NONE"
        )
        assert http.post(f"{b}/v1/guardrails/shared/versions", json={}, headers=h).json()["version"] == "2"
        assert (
            http.post(
                f"{a}/guardrail/shared/version/2/apply", json=apply_body("say zorblax"), headers=h
            ).json()["action"]
            == "NONE"
        )

        # An alias moved through one process is followed by the other (TTL 0 here).
        http.put(f"{a}/v1/guardrails/shared/aliases/production", json={"version": 2}, headers=h)
        assert (
            http.post(
                f"{b}/guardrail/shared/version/production/apply", json=apply_body("zorblax"), headers=h
            ).json()["action"]
            == "NONE"
        )
        http.put(f"{a}/v1/guardrails/shared/aliases/production", json={"version": 1}, headers=h)
        assert (
            http.post(
                f"{b}/guardrail/shared/version/production/apply", json=apply_body("zorblax"), headers=h
            ).json()["action"]
            == "GUARDRAIL_INTERVENED"
        )

        # A key revoked through one process is refused by the other (key cache TTL 0 here).
        app_key = keys.create(Role.APP)
        ah = {"Authorization": f"Bearer {app_key.bearer}"}
        assert (
            http.post(f"{b}/guardrail/shared/version/1/apply", json=apply_body("hi"), headers=ah).status_code
            == 200
        )
        http.delete(f"{a}/v1/keys/{app_key.id}", headers=h)
        assert (
            http.post(f"{b}/guardrail/shared/version/1/apply", json=apply_body("hi"), headers=ah).status_code
            == 401
        )

    deadline = time.monotonic() + 20
    # Two decisions were made through A and four through B: six records only if both processes wrote.
    expected = 6
    while count(sessions, AuditQuery(guardrail_id="shared")) < expected and time.monotonic() < deadline:
        time.sleep(0.1)
    assert count(sessions, AuditQuery(guardrail_id="shared")) == expected
    engine.dispose()
