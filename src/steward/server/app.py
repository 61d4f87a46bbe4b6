"""The FastAPI application of the API: routers, error handlers, request context and lifespan.

``create_app(settings)`` is the API alone, for tests of the API and for embedding; what
``steward serve`` serves is :func:`steward.asgi.create_app`, this plus the web console at
``/console`` (the console is built on this package's auth and state, so the two are composed
above both). uvicorn worker processes build theirs with :func:`worker_app`, from the
environment ``steward serve`` set up. On shutdown the lifespan flushes the audit trail
before closing the database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol

import anyio.to_thread
from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse

from steward.app.bootstrap import prepare_database
from steward.proxy.settings import ProxySettings
from steward.server import openapi
from steward.server.auth import Role, require_role
from steward.server.errors import install_error_handlers
from steward.server.lifeline import exit_with_supervisor
from steward.server.middleware import RequestContextMiddleware
from steward.server.routers import apply, audit, check, guardrails, keys, meta, monitor, proxy, review
from steward.server.routers.meta import steward_version
from steward.server.state import ServerState
from steward.settings import Settings

__all__ = ["AppFactory", "create_app", "worker_app"]

DESCRIPTION = """Steward's guardrail server.

* `POST /guardrail/{id}/version/{version}/apply` is Amazon Bedrock's **ApplyGuardrail**: same
  request and response, callable with boto3 (SigV4) or a bearer key.
* `/v1/guardrails` manages guardrails, versions and aliases; `/v1/check` checks a text
  against an inline policy; `/v1/audit` searches and exports decisions; `/v1/keys` manages keys.

Authenticate with `Authorization: Bearer <key id>.<secret>` or AWS SigV4 using the key id
and secret as access key id and secret key.
"""


def create_app(settings: Settings, *, prepare: bool = True, warm: bool = False) -> FastAPI:
    """The application for ``settings``.

    ``prepare`` migrates and seeds the database first; ``warm`` builds and runs the likely
    guards (aliases and latest versions) at start-up, before the server accepts requests,
    so the first callers do not wait for models to load.
    """
    if prepare:
        prepare_database(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if warm:
            await anyio.to_thread.run_sync(app.state.steward.guards.warm)
        monitor.start(app)  # the alert scheduler: an asyncio task beside the requests
        review.start_purge(app)  # the retention purge, likewise
        yield
        await review.stop_purge(app)
        await monitor.stop(app)
        app.state.steward.close()

    app = FastAPI(
        title="Steward",
        version=steward_version(),
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_url="/openapi.json" if settings.public_docs else None,
        docs_url="/docs" if settings.public_docs else None,
        redoc_url="/redoc" if settings.public_docs else None,
    )
    app.state.steward = ServerState.open(settings)
    if not settings.public_docs:
        _serve_openapi_to_key_holders(app)
    install_error_handlers(app)
    openapi.install(app)  # every error status documented, no FastAPI 422
    proxy_settings = ProxySettings.from_env()
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=settings.max_body_bytes,
        body_timeout_s=settings.body_timeout_s,
        path_headers=proxy.answer_headers(proxy_settings),  # the AI-use notice, on refusals too
    )
    for module in (meta, apply, check, guardrails, keys, audit):
        app.include_router(module.router)
    _include_other_areas(app, proxy_settings)
    return app


class AppFactory(Protocol):
    """What builds an application from settings: :func:`create_app` or :func:`steward.asgi.create_app`."""

    def __call__(self, settings: Settings, *, prepare: bool = True, warm: bool = False) -> FastAPI: ...


def _serve_openapi_to_key_holders(app: FastAPI) -> None:
    """``/openapi.json`` for any valid API key: no anonymous access beyond health and ``/about``.

    The browsable ``/docs`` page cannot send a key, so it exists only with ``STEWARD_PUBLIC_DOCS=1``.
    """

    @app.get("/openapi.json", include_in_schema=False, dependencies=[Depends(require_role(*Role))])
    async def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())


def _include_other_areas(app: FastAPI, proxy_settings: ProxySettings) -> None:
    """Routers owned by other areas: the OpenAI-compatible proxy, provenance, review and governance."""
    from steward.server.routers import feedback, govern, provenance

    app.include_router(proxy.create_router(proxy_settings, data_dir=app.state.steward.settings.data_dir))
    app.include_router(provenance.router)
    app.include_router(review.router)  # /v1/review/...: the human review queue
    review.install_purge(app)  # drops review text past retention, on a schedule
    app.include_router(feedback.router)  # /v1/feedback, /v1/appeals: end users' voice
    monitor.install(app)  # /v1/monitor, /metrics, request and decision metrics
    app.include_router(govern.router)  # /v1/systems, /v1/risks...: the governance register


def worker_app(factory: AppFactory = create_app) -> FastAPI:
    """The app ``factory`` builds in a uvicorn worker process (``steward serve`` prepared the database already).

    Guards are warmed at start-up unless ``STEWARD_WARM_GUARDS=0``. A worker started by the
    multi-worker supervisor ends when the supervisor dies (see :mod:`steward.server.lifeline`).
    ``steward serve``'s workers run :func:`steward.asgi.worker_app`, which passes the factory
    with the console.
    """
    exit_with_supervisor()
    settings = Settings.from_env()
    return factory(settings, prepare=False, warm=settings.warm_guards)
