"""Fixtures for the proxy tests: the fake upstream and real Steward servers, on loopback.

Each module gets one SQLite database, seeded with an ``app`` key and the guardrails the
tests use; every Steward started by ``steward_factory`` is the real
:func:`steward.server.app.create_app`, configured through the ``STEWARD_*`` environment
exactly as ``steward serve`` would be.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from proxy_fakes import PSEUDONYM_POLICY, TEST_POLICY, Steward, serve

from loopback_servers import Upstream, running_upstream
from steward.app.bootstrap import prepare_database
from steward.policy import parse_policy
from steward.server.app import create_app
from steward.settings import Settings
from steward.store.db import make_engine, session_factory
from steward.store.guardrails import GuardrailStore
from steward.store.keys import ApiKeyStore, Role
from steward.store.sealing import Sealer, load_server_key


@pytest.fixture(scope="session")
def upstream() -> Iterator[Upstream]:
    """The fake OpenAI-compatible upstream, in a thread, for the whole session."""
    with running_upstream() as state:
        yield state


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, str]:
    """A migrated SQLite database with guardrails ``test`` and ``pseudo`` (version 1) and an app key."""
    data = tmp_path_factory.mktemp("proxy-steward")
    settings = Settings(database_url=f"sqlite:///{Path(data) / 'steward.db'}", data_dir=Path(data))
    prepare_database(settings)
    engine = make_engine(settings.database_url)
    try:
        sessions = session_factory(engine)
        guardrails = GuardrailStore(sessions)
        for gid, policy in (("test", TEST_POLICY), ("pseudo", PSEUDONYM_POLICY)):
            guardrails.create(gid, parse_policy(policy))
            guardrails.create_version(gid, description="v1")
        # Guardrails whose versions say who they are through their blocked-input message:
        # "aliased" has versions 1-3 and alias production -> 2; "unaliased" has versions 1-2;
        # "draft-only" has no version.
        for gid, versions in (("aliased", 3), ("unaliased", 2), ("draft-only", 0)):
            guardrails.create(gid, parse_policy({**TEST_POLICY, "blocked_input_message": f"{gid} DRAFT"}))
            for n in range(1, versions + 1):
                policy = parse_policy({**TEST_POLICY, "blocked_input_message": f"{gid} v{n}"})
                guardrails.update(gid, policy=policy)
                guardrails.create_version(gid, description=f"v{n}")
        guardrails.set_alias("aliased", "production", 2)
        key = ApiKeyStore(sessions, Sealer(load_server_key(settings.data_dir))).create(
            Role.APP, name="proxy tests"
        )
    finally:
        engine.dispose()
    return settings, key.bearer


@pytest.fixture(scope="module")
def steward_factory(upstream: Upstream, seeded: tuple[Settings, str]) -> Iterator[Callable[..., Steward]]:
    """Start real Steward servers with extra ``STEWARD_*`` variables; all stopped at the end."""
    settings, key = seeded
    with ExitStack() as stack:

        def start(**env: Any) -> Steward:
            values = {
                "STEWARD_UPSTREAM_URL": upstream.url,
                "STEWARD_PROXY_GUARDRAIL": "test",
                "STEWARD_UPSTREAM_TIMEOUT_S": "5",
            }
            values.update({k: str(v) for k, v in env.items()})
            with pytest.MonkeyPatch.context() as mp:
                for name, value in values.items():
                    if value == "":
                        mp.delenv(name, raising=False)
                    else:
                        mp.setenv(name, value)
                app = create_app(settings, prepare=False)
            url = stack.enter_context(serve(app))
            return Steward(url, app.state.steward, key)

        yield start


@pytest.fixture(scope="module")
def steward(steward_factory: Callable[..., Steward]) -> Steward:
    """A proxy with default settings in front of the fake upstream."""
    return steward_factory()
