"""One database, its repositories and what hangs off them, wired in one place.

:class:`App` is built once per process: by the server (as its
:class:`~steward.server.state.ServerState`, which adds the HTTP-only parts) and by each
``steward`` command that works on the database (:func:`local_app`). Before this module the
same wiring was written four times and drifted (one copy created a database silently).

A command works on the database a server uses: if there is none at the configured place
(``--database-url``, ``STEWARD_DATABASE_URL``, else ``steward.db`` in the data directory),
:func:`local_app` says so instead of silently creating an empty one somewhere unexpected,
unless the caller asks to create it (``steward keys create --init``). An existing database
is migrated first, as ``steward serve`` would. Every driver error on the way (an unreachable
server, a data directory that is a file) is a :class:`~steward.errors.StorageError` naming
the database, never a stack trace.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Self

from steward.app.bootstrap import prepare_database
from steward.audit.chain import chain_key
from steward.audit.writer import AuditWriter
from steward.errors import StorageError
from steward.govern.repository import GovernanceStore
from steward.settings import Settings
from steward.store.db import is_initialised, make_engine, safe_url, session_factory, storage_errors
from steward.store.guardrails import GuardrailStore
from steward.store.keycheck import KeyCheck, check_server_key
from steward.store.keys import ApiKeyStore
from steward.store.sealing import load_server_key, open_sealer

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from steward.app.guards import GuardCache

__all__ = ["App", "check_key_of", "local_app"]


class App:
    """The repositories over one connection pool, the server key, the audit writer and the guard cache.

    Building it opens no connection beyond what the sealer needs; the audit writer's thread
    starts with the first record.
    """

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine
        self.sessions: sessionmaker[Session] = session_factory(engine)
        self.server_key = load_server_key(settings.data_dir)
        #: HMAC key of the audit chains (derived from the server key).
        self.audit_key = chain_key(self.server_key)
        self.guardrails = GuardrailStore(self.sessions)
        self.keys = ApiKeyStore(
            self.sessions, open_sealer(self.sessions, settings.data_dir, server_key=self.server_key)
        )
        self.governance = GovernanceStore(self.sessions)
        self._guards: GuardCache | None = None
        self._guards_lock = threading.Lock()
        self.audit = AuditWriter(
            engine, batch=settings.audit_batch, chain_key=self.audit_key, sealer=self.keys.sealer
        )
        self._key_check: KeyCheck | None = None

    @classmethod
    def open(cls, settings: Settings) -> Self:
        """Connect to ``settings.database_url`` (no schema check: see :func:`local_app`)."""
        return cls(settings, make_engine(settings.database_url))

    @property
    def guards(self) -> GuardCache:
        """Built guards of this process, made on first use (a command that runs no guard never
        imports the detectors)."""
        with self._guards_lock:
            if self._guards is None:
                from steward.app.guards import GuardCache

                self._guards = GuardCache(self.guardrails, resolve_ttl_s=self.settings.resolve_ttl_s)
            return self._guards

    def forget_guards(self, guardrail_id: str) -> None:
        """Drop this process's built guards of a guardrail after a change (nothing to do if none were built)."""
        with self._guards_lock:
            guards = self._guards
        if guards is not None:
            guards.invalidate(guardrail_id)

    @property
    def key_check(self) -> KeyCheck:
        """Whether this process's server key is the database's (recorded on first use)."""
        if self._key_check is None:
            self._key_check = check_server_key(self.sessions, self.server_key, sealer=self.keys.sealer)
        return self._key_check

    def require_same_key(self) -> None:
        """Refuse (:class:`StorageError`) when this process's server key is not the database's."""
        if self.key_check is KeyCheck.DIFFERS:
            origin = (
                "STEWARD_SECRET_KEY"
                if self.settings.secret("secret_key")
                else str(self.settings.data_dir / "secret.key")
            )
            raise StorageError(
                f"the server key differs from the one that uses {safe_url(self.settings.database_url)}: "
                f"this command read it from {origin}; use the server's key "
                "(the same STEWARD_SECRET_KEY, or STEWARD_DATA_DIR pointing at the server's data directory)"
            )

    def close(self) -> None:
        """Flush the audit trail and release database connections."""
        self.audit.close()
        self.engine.dispose()


def _not_initialised(settings: Settings, hint: str) -> StorageError:
    return StorageError(
        f"no Steward database at {safe_url(settings.database_url)} (data directory {settings.data_dir}): "
        "no server has used it yet; point --database-url or STEWARD_DATA_DIR at the server's data, "
        f"or start `steward serve` there first{hint}"
    )


@contextmanager
def local_app(
    database_url: str | None = None, *, create: bool = False, create_hint: str = ""
) -> Iterator[App]:
    """The :class:`App` of the database at ``database_url`` (default: the environment's), for a command.

    Without ``create`` a database with no Steward schema is refused with a message that
    names it (``create_hint`` is appended, e.g. which flag creates it); with ``create`` it
    is migrated and seeded as the server's first start would.
    """
    settings = Settings.from_env(database_url=database_url)
    url = settings.database_url
    if not create and not is_initialised(url):
        raise _not_initialised(settings, create_hint)
    prepare_database(settings)
    app = App.open(settings)
    try:
        with storage_errors(url):
            app.key_check  # noqa: B018 - recorded (or compared) on every command, as the server does
            yield app
    finally:
        app.close()


def check_key_of(settings: Settings) -> None:
    """Record this process's server key in the database, or refuse if the database knows another.

    ``steward serve`` calls it before its workers start, so a server never seals secrets or
    chains audit records under a key that differs from the one already used there.
    """
    app = App.open(settings)
    try:
        with storage_errors(settings.database_url):
            app.require_same_key()
    finally:
        app.close()
