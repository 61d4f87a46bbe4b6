"""Opening the stores directly (no server): what the ``steward`` commands use on the host.

The database is migrated first (and seeded on first use, as ``steward serve`` would), so
``steward keys create`` works on a fresh machine before the server has ever run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from steward.settings import Settings
from steward.store.db import make_engine, session_factory
from steward.store.guardrails import GuardrailStore
from steward.store.keys import ApiKeyStore
from steward.store.sealing import Sealer, load_server_key

__all__ = ["LocalStores", "open_stores"]


@dataclass(frozen=True, slots=True)
class LocalStores:
    """The repositories over one database connection pool."""

    settings: Settings
    sessions: sessionmaker[Session]
    guardrails: GuardrailStore
    keys: ApiKeyStore


@contextmanager
def open_stores(database_url: str | None = None) -> Iterator[LocalStores]:
    """Migrate the database at ``database_url`` (default: the environment's) and open its stores."""
    from steward.server.bootstrap import prepare_database

    settings = Settings.from_env(database_url=database_url)
    prepare_database(settings)
    engine = make_engine(settings.database_url)
    try:
        sessions = session_factory(engine)
        yield LocalStores(
            settings=settings,
            sessions=sessions,
            guardrails=GuardrailStore(sessions),
            keys=ApiKeyStore(sessions, Sealer(load_server_key(settings.data_dir))),
        )
    finally:
        engine.dispose()
