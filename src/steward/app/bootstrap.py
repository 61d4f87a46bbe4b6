"""First start: migrate the database, seed the ``default`` guardrail, and help make an admin key.

Run once by ``steward serve`` before worker processes start (so workers never race on
migrations), by :func:`steward.server.app.create_app` when asked to prepare, and by
:func:`steward.app.context.local_app` before a command works on an existing database.
"""

from __future__ import annotations

from dataclasses import dataclass

from steward.errors import ConflictError
from steward.policy import load_policy
from steward.settings import Settings
from steward.store.db import current_revision, make_engine, session_factory, upgrade
from steward.store.guardrails import GuardrailStore
from steward.store.keys import ApiKeyStore, NewKey, Role
from steward.store.sealing import open_sealer

__all__ = ["DEFAULT_GUARDRAIL", "Prepared", "prepare_database"]

DEFAULT_GUARDRAIL = "default"


@dataclass(frozen=True, slots=True)
class Prepared:
    """What preparing the database did."""

    fresh: bool
    seeded_default: bool
    admin_keys: int
    new_admin_key: NewKey | None = None


def prepare_database(settings: Settings, *, bootstrap_admin_key: bool = False) -> Prepared:
    """Bring the schema up to date; on an empty database, create guardrail ``default`` (version 1).

    With ``bootstrap_admin_key`` and no active admin key, create one and return it (the
    caller prints the secret once).
    """
    fresh = current_revision(settings.database_url) is None
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        sessions = session_factory(engine)
        seeded = False
        if fresh:
            guardrails = GuardrailStore(sessions)
            try:
                guardrails.create(
                    DEFAULT_GUARDRAIL,
                    load_policy("default"),
                    name="Default",
                    description="Steward's default policy pack, created on first start",
                )
                guardrails.create_version(DEFAULT_GUARDRAIL, description="the default pack as shipped")
                seeded = True
            except ConflictError:
                pass  # another process seeded it first
        keys = ApiKeyStore(sessions, open_sealer(sessions, settings.data_dir))
        admins = keys.count_active(Role.ADMIN)
        new_key = None
        if bootstrap_admin_key and admins == 0:
            new_key = keys.create(Role.ADMIN, name="bootstrap admin")
            admins = 1
        return Prepared(fresh=fresh, seeded_default=seeded, admin_keys=admins, new_admin_key=new_key)
    finally:
        engine.dispose()
