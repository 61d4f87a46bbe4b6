"""A server database seeded with guardrails and an application key, for tests that run the real app
(a helper, not a fixture: a module of its own name beside the root conftest, so every test folder
can import it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from steward.app.bootstrap import prepare_database
from steward.policy import parse_policy
from steward.settings import Settings
from steward.store.db import make_engine, session_factory
from steward.store.guardrails import GuardrailStore
from steward.store.keys import ApiKeyStore, Role
from steward.store.sealing import Sealer, load_server_key

__all__ = ["seed_database"]


def seed_database(settings: Settings, guardrails: Mapping[str, dict[str, Any]], *, key_name: str = "") -> str:
    """Migrate ``settings``' database, create each guardrail (id -> policy) with version 1, and an
    ``app`` key; the key's bearer token."""
    prepare_database(settings)
    engine = make_engine(settings.database_url)
    try:
        sessions = session_factory(engine)
        store = GuardrailStore(sessions)
        for guardrail_id, policy in guardrails.items():
            store.create(guardrail_id, parse_policy(policy))
            store.create_version(guardrail_id, description="v1")
        key = ApiKeyStore(sessions, Sealer(load_server_key(settings.data_dir))).create(
            Role.APP, name=key_name
        )
    finally:
        engine.dispose()
    return key.bearer
