"""What every request handler shares: the application core plus the HTTP-only parts (auth, rate limit).

:class:`ServerState` *is* the process's :class:`~steward.app.context.App` (so a router hands
it straight to the use cases in :mod:`steward.app`), with the authenticator and the rate
limiter added. Routers reach it with :func:`get_state`; other areas use
``state.guards.get(guardrail_id, version)`` and ``state.audit.submit(record)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import Request

from steward.app.context import App
from steward.server.auth import Authenticator
from steward.server.ratelimit import RateLimiter
from steward.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = ["ServerState", "get_state"]


class ServerState(App):
    """The server's shared objects, built once per process."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        super().__init__(settings, engine)
        self.auth = Authenticator(self.keys, ttl_s=self.settings.key_cache_ttl_s)
        self.limiter = RateLimiter(self.settings.rate_limit, burst=self.settings.rate_burst)


def get_state(request: Request) -> ServerState:
    """The :class:`ServerState` of the app serving ``request``."""
    state: ServerState = request.app.state.steward
    return state
