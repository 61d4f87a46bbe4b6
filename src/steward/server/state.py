"""What every request handler shares: settings, database, stores, guards, auth, audit writer.

Routers reach it with :func:`get_state`; other areas (the proxy, governance) use
``state.guards.get(guardrail_id, version)`` and ``state.audit.submit(record)``.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from steward.audit.chain import chain_key
from steward.audit.writer import AuditWriter
from steward.server.auth import Authenticator
from steward.server.guards import GuardCache
from steward.server.ratelimit import RateLimiter
from steward.settings import Settings
from steward.store.db import make_engine, session_factory
from steward.store.guardrails import GuardrailStore
from steward.store.keys import ApiKeyStore
from steward.store.sealing import load_server_key, open_sealer

__all__ = ["ServerState", "get_state"]


@dataclass(slots=True)
class ServerState:
    """The server's shared objects, built once per process."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    guardrails: GuardrailStore
    keys: ApiKeyStore
    guards: GuardCache
    auth: Authenticator
    audit: AuditWriter
    limiter: RateLimiter
    #: HMAC key of the audit chains (derived from the server key).
    audit_key: bytes

    @classmethod
    def open(cls, settings: Settings) -> ServerState:
        """Connect to the database and build every shared object (the audit thread starts lazily)."""
        engine = make_engine(settings.database_url)
        sessions = session_factory(engine)
        guardrails = GuardrailStore(sessions)
        server_key = load_server_key(settings.data_dir)
        keys = ApiKeyStore(sessions, open_sealer(sessions, settings.data_dir, server_key=server_key))
        return cls(
            settings=settings,
            engine=engine,
            sessions=sessions,
            guardrails=guardrails,
            keys=keys,
            guards=GuardCache(guardrails, resolve_ttl_s=settings.resolve_ttl_s),
            auth=Authenticator(keys, ttl_s=settings.key_cache_ttl_s),
            audit=AuditWriter(
                engine, batch=settings.audit_batch, chain_key=chain_key(server_key), sealer=keys.sealer
            ),
            audit_key=chain_key(server_key),
            limiter=RateLimiter(settings.rate_limit, burst=settings.rate_burst),
        )

    def close(self) -> None:
        """Flush the audit trail and release database connections."""
        self.audit.close()
        self.engine.dispose()


def get_state(request: Request) -> ServerState:
    """The :class:`ServerState` of the app serving ``request``."""
    state: ServerState = request.app.state.steward
    return state
