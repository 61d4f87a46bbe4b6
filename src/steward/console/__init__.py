"""The Steward console: server-rendered pages for people who do not type curl.

Mounted at ``/console`` by :func:`install`. Pages call the same stores, guards and report
functions as the API routers (see each page module); templates and static assets ship in
this package, so the console works offline and needs no build step.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter, FastAPI
from starlette.staticfiles import StaticFiles

from steward.console import (
    audit_pages,
    auth_pages,
    draft_pages,
    feedback_pages,
    governance_pages,
    guardrail_pages,
    key_pages,
    monitoring,
    overview,
    playground,
    review_pages,
    rule_pages,
)
from steward.console.sessions import SessionStore
from steward.console.web import PREFIX

__all__ = ["PREFIX", "install", "router"]

router = APIRouter(prefix=PREFIX, include_in_schema=False)
for _module in (
    auth_pages,
    overview,
    guardrail_pages,
    playground,
    audit_pages,
    review_pages,
    feedback_pages,
    key_pages,
    monitoring,
    rule_pages,
    governance_pages,
    draft_pages,
):
    router.include_router(_module.router)
router.add_api_route("", auth_pages.home, include_in_schema=False)  # /console itself


def install(app: FastAPI, *, sessions: SessionStore | None = None) -> None:
    """Serve the console on ``app``: its pages, its static assets and a session store.

    The sessions default to the server's database (``app.state.steward``), so every worker
    serving the same database shares them.
    """
    app.state.console_sessions = sessions or SessionStore(app.state.steward.sessions)
    app.include_router(router)
    static = files("steward.console").joinpath("static")
    app.mount(f"{PREFIX}/static", StaticFiles(directory=str(static)), name="console-static")
