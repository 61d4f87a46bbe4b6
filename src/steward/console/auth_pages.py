"""Sign-in with an API key (exchanged for a session cookie), sign-out, and the console's home.

The key is checked by the API's own :class:`~steward.server.auth.Authenticator` (the same
scrypt check and revocation rules as a bearer token); it is never stored in the browser.
The sign-in form has no session yet, so its CSRF token is a double-submit cookie.
"""

from __future__ import annotations

import secrets

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from steward.console.permissions import CONSOLE_ROLES, Action, may
from steward.console.sessions import ConsoleSession
from steward.console.web import (
    COOKIE,
    PREFIX,
    page,
    read_form,
    render,
    session_of,
    session_store,
    state_of,
)
from steward.errors import AuthError

__all__ = ["router"]

router = APIRouter()

_PRE_COOKIE = "steward_console_signin"
_MAX_KEY_CHARS = 200


def _home(session: ConsoleSession) -> str:
    for action, path in (
        (Action.OVERVIEW, "/overview"),
        (Action.GUARDRAILS, "/guardrails"),
        (Action.AUDIT, "/audit"),
    ):
        if may(session.role, action):
            return PREFIX + path
    return PREFIX + "/playground"


def _safe_next(value: str | None) -> str | None:
    """Only a console path: never another site (no open redirect)."""
    if value and value.startswith(PREFIX + "/") and not value.startswith("//") and "\\" not in value:
        return value
    return None


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _sign_in_page(request: Request, *, status: int = 200, message: str = "", next_path: str = "") -> Response:
    token = secrets.token_urlsafe(24)
    response = render(
        request,
        "sign_in.html",
        session=None,
        status_code=status,
        pre_csrf=token,
        message=message,
        next=next_path,
    )
    response.set_cookie(
        _PRE_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path=PREFIX,
        max_age=3600,
    )
    return response


@router.get("/", include_in_schema=False)
async def home(request: Request) -> Response:
    """The first page the role may see, or sign-in."""
    session = await session_of(request)
    if session is None:
        return RedirectResponse(f"{PREFIX}/sign-in", status_code=303)
    return RedirectResponse(_home(session), status_code=303)


@router.get("/sign-in", include_in_schema=False)
@page
async def sign_in_form(request: Request, next: str | None = None) -> Response:
    """The sign-in form (or home, when already signed in)."""
    session = await session_of(request)
    if session is not None:
        return RedirectResponse(_safe_next(next) or _home(session), status_code=303)
    return _sign_in_page(request, next_path=_safe_next(next) or "")


@router.post("/sign-in", include_in_schema=False)
@page
async def sign_in(request: Request) -> Response:
    """Check the API key and start a session; a wrong key gets the form again with a 401."""
    form = await read_form(request, None, csrf=request.cookies.get(_PRE_COOKIE))
    key = form.get("key", "").strip()
    next_path = _safe_next(form.get("next")) or ""
    if not key:
        return _sign_in_page(request, status=400, message="Enter an API key.", next_path=next_path)
    if len(key) > _MAX_KEY_CHARS:
        return _sign_in_page(
            request, status=400, message="That is not an API key (too long).", next_path=next_path
        )
    state = state_of(request)
    try:
        caller = await run_in_threadpool(state.auth.bearer, key)  # scrypt: ~50 ms, off the event loop
    except AuthError as exc:
        return _sign_in_page(
            request, status=401, message=f"Sign-in failed: {exc.message}.", next_path=next_path
        )
    state.limiter.check(caller.key_id)
    if caller.role not in CONSOLE_ROLES:
        return _sign_in_page(
            request,
            status=403,
            message=f"A key with the role '{caller.role.value}' is for applications; "
            "sign in with an admin, reviewer or auditor key.",
            next_path=next_path,
        )
    store = session_store(request)
    token = await run_in_threadpool(store.create, caller.key_id, caller.role)
    session = await run_in_threadpool(store.get, token)
    assert session is not None
    response = RedirectResponse(next_path or _home(session), status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path=PREFIX,
        max_age=int(store.ttl_s),
    )
    response.delete_cookie(_PRE_COOKIE, path=PREFIX)
    return response


@router.post("/sign-out", include_in_schema=False)
@page
async def sign_out(request: Request) -> Response:
    """End the session (server-side: the cookie stops working at once) and clear the cookie."""
    session = await session_of(request)
    if session is not None:
        await read_form(request, session)
        await run_in_threadpool(session_store(request).revoke, request.cookies.get(COOKIE))
    response = RedirectResponse(f"{PREFIX}/sign-in", status_code=303)
    response.delete_cookie(COOKIE, path=PREFIX, httponly=True, samesite="strict", secure=_secure(request))
    return response
