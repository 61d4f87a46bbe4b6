"""The ASGI application Steward serves: the HTTP API with the web console at ``/console``.

:func:`steward.server.app.create_app` builds the API alone; :mod:`steward.console` is built on
the server's auth and state. Composing the two here, above both layers, keeps every import
pointing down: the server does not know the console exists (docs/architecture.md).

``steward serve`` runs :func:`worker_app` (in each uvicorn worker), as does
``uvicorn steward.asgi:worker_app --factory`` with the ``STEWARD_*`` environment set; tests,
scripts and benchmarks that want the product as served build it with :func:`create_app`.
"""

from __future__ import annotations

from fastapi import FastAPI

from steward import console
from steward.server import app as api
from steward.settings import Settings

__all__ = ["create_app", "worker_app"]


def create_app(settings: Settings, *, prepare: bool = True, warm: bool = False) -> FastAPI:
    """The API for ``settings`` (:func:`steward.server.app.create_app`, same arguments) plus the console.

    The console serves its pages at ``/console`` on the same stores and guards as the API.
    """
    app = api.create_app(settings, prepare=prepare, warm=warm)
    console.install(app)
    return app


def worker_app() -> FastAPI:
    """The app for a uvicorn worker process: :func:`steward.server.app.worker_app` with the console."""
    return api.worker_app(create_app)
