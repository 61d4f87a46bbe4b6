"""The keys page (admin only): create a key with a role, list keys a page at a time, revoke one.

Through the same :class:`~steward.store.keys.ApiKeyStore` calls as ``/v1/keys``; the list comes
in pages of :data:`PAGE` keys, oldest first, each page ending with the cursor of the next. A new
key's secret appears once, in the answer to the creating POST (never in a URL, never
stored readable: the page is ``no-store`` like every console page). Revoking a key also
forgets it in this process's authenticator cache and ends its console sessions at once,
on every worker, since sessions live in the database.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from steward.console.permissions import Action
from steward.console.sessions import ConsoleSession
from steward.console.web import (
    PREFIX,
    list_page,
    page,
    read_form,
    render,
    session_store,
    signed_in,
    state_of,
)
from steward.errors import InputError
from steward.store.keys import NewKey, Role
from steward.store.paging import Page

__all__ = ["router"]

router = APIRouter()

#: Longest key id accepted in a path (ours are 20 characters).
_MAX_KEY_ID = 64
_MAX_NAME = 100
#: Keys per page.
PAGE = 50


def _key_id(value: str, field: str) -> str:
    if not value or len(value) > _MAX_KEY_ID or not value.isascii() or not value.isalnum():
        raise InputError("is not a key id (letters and digits, at most 64)", field=field)
    return value


async def _keys_page(
    request: Request,
    session: ConsoleSession,
    *,
    after: str | None = None,
    created: NewKey | None = None,
    notice: str = "",
    status_code: int = 200,
) -> Response:
    store = state_of(request).keys
    keys = await list_page(
        lambda cursor: Page(*store.list_page(after=cursor, limit=PAGE)),
        path="/keys",
        field="after",
        cursor=after or "",
    )
    return render(
        request,
        "keys.html",
        session=session,
        active="keys",
        keys=keys,
        roles=list(Role),
        created=created,
        notice=notice[:200],
        status_code=status_code,
    )


@router.get("/keys", include_in_schema=False)
@page
async def key_list(request: Request, revoked: str = "", after: str = "") -> Response:
    """A page of keys with their role and status, the creation form and a revoke button per live key."""
    session = await signed_in(request, Action.KEYS)
    cursor = _key_id(after, "after") if after else None
    notice = f"Key {_key_id(revoked, 'revoked')} revoked." if revoked else ""
    return await _keys_page(request, session, after=cursor, notice=notice)


@router.post("/keys", include_in_schema=False)
@page
async def key_create(request: Request) -> Response:
    """Create a key; the answer shows its secret, once."""
    session = await signed_in(request, Action.KEYS)
    form = await read_form(request, session)
    role = Role.parse(form.get("role", "").strip())
    name = form.get("name", "").strip()
    if len(name) > _MAX_NAME:
        raise InputError(f"is {len(name)} characters, over the limit of {_MAX_NAME}", field="name")
    created = await run_in_threadpool(lambda: state_of(request).keys.create(role, name=name))
    return await _keys_page(request, session, created=created, status_code=201)


@router.post("/keys/{key_id}/revoke", include_in_schema=False)
@page
async def key_revoke(request: Request, key_id: str) -> Response:
    """Revoke a key, forget it in the authenticator's cache and end its console sessions."""
    session = await signed_in(request, Action.KEYS)
    await read_form(request, session)
    key_id = _key_id(key_id, "key")
    state = state_of(request)
    info = await run_in_threadpool(state.keys.revoke, key_id)  # NotFoundError: a 404 page
    state.auth.forget(key_id)
    await run_in_threadpool(session_store(request).revoke_key, key_id)
    if key_id == session.key_id:
        return RedirectResponse(f"{PREFIX}/sign-in", status_code=303)
    return RedirectResponse(f"{PREFIX}/keys?revoked={quote(info.id)}", status_code=303)
