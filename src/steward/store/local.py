"""Opening the stores directly (no server): what the ``steward`` commands use on the host.

A command works on the database a server uses: if there is none at the configured place
(``--database-url``, ``STEWARD_DATABASE_URL``, else ``steward.db`` in the data directory),
it says so instead of silently creating an empty one somewhere unexpected, unless the
caller asks to create it (``steward keys create --init``, to make a key before the first
start). An existing database is migrated first, as ``steward serve`` would.

Every driver error on the way (an unreachable server, a data directory that is a file)
is a :class:`~steward.errors.StorageError` naming the database, never a stack trace.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from steward.errors import StorageError
from steward.settings import Settings
from steward.store.db import is_initialised, make_engine, safe_url, session_factory, storage_errors
from steward.store.guardrails import GuardrailStore
from steward.store.keycheck import KeyCheck, check_server_key
from steward.store.keys import ApiKeyStore
from steward.store.sealing import load_server_key, open_sealer

__all__ = ["LocalStores", "check_key_of", "open_stores"]


@dataclass(frozen=True, slots=True)
class LocalStores:
    """The repositories over one database connection pool, and the server key's standing."""

    settings: Settings
    sessions: sessionmaker[Session]
    guardrails: GuardrailStore
    keys: ApiKeyStore
    server_key: bytes
    key_check: KeyCheck

    def require_same_key(self) -> None:
        """Refuse (:class:`StorageError`) when this process's server key is not the database's."""
        if self.key_check is KeyCheck.DIFFERS:
            raise StorageError(
                f"the server key differs from the one that uses {safe_url(self.settings.database_url)}: "
                f"this command read it from {_key_origin(self.settings)}; use the server's key "
                "(the same STEWARD_SECRET_KEY, or STEWARD_DATA_DIR pointing at the server's data directory)"
            )


def _key_origin(settings: Settings) -> str:
    if os.environ.get("STEWARD_SECRET_KEY"):
        return "STEWARD_SECRET_KEY"
    return str(settings.data_dir / "secret.key")


def _not_initialised(settings: Settings, hint: str) -> StorageError:
    return StorageError(
        f"no Steward database at {safe_url(settings.database_url)} (data directory {settings.data_dir}): "
        "no server has used it yet; point --database-url or STEWARD_DATA_DIR at the server's data, "
        f"or start `steward serve` there first{hint}"
    )


def _stores(settings: Settings, engine: Engine) -> LocalStores:
    sessions = session_factory(engine)
    server_key = load_server_key(settings.data_dir)
    sealer = open_sealer(sessions, settings.data_dir, server_key=server_key)
    return LocalStores(
        settings=settings,
        sessions=sessions,
        guardrails=GuardrailStore(sessions),
        keys=ApiKeyStore(sessions, sealer),
        server_key=server_key,
        key_check=check_server_key(sessions, server_key, sealer=sealer),
    )


@contextmanager
def open_stores(
    database_url: str | None = None, *, create: bool = False, create_hint: str = ""
) -> Iterator[LocalStores]:
    """Open the stores of the database at ``database_url`` (default: the environment's).

    Without ``create`` a database with no Steward schema is refused with a message that
    names it (``create_hint`` is appended, e.g. which flag creates it); with ``create``
    it is migrated and seeded as the server's first start would.
    """
    from steward.server.bootstrap import prepare_database

    settings = Settings.from_env(database_url=database_url)
    url = settings.database_url
    if not create and not is_initialised(url):
        raise _not_initialised(settings, create_hint)
    prepare_database(settings)
    engine = make_engine(url)
    try:
        with storage_errors(url):
            yield _stores(settings, engine)
    finally:
        engine.dispose()


def check_key_of(settings: Settings) -> None:
    """Record this process's server key in the database, or refuse if the database knows another.

    ``steward serve`` calls it before its workers start, so a server never seals secrets or
    chains audit records under a key that differs from the one already used there.
    """
    engine = make_engine(settings.database_url)
    try:
        with storage_errors(settings.database_url):
            _stores(settings, engine).require_same_key()
    finally:
        engine.dispose()
