"""Guardrail pages: the list, one guardrail's versions and aliases, a side-by-side diff, alias moves.

Reads and writes go through the same :class:`~steward.store.guardrails.GuardrailStore` calls
as ``/v1/guardrails`` (and, like its routes, a moved alias invalidates this process's cached
guards at once). Moving an alias is a two-step form: the first POST shows what will change
and asks to confirm; only the confirming POST moves it.

A guardrail's versions come a page at a time, newest first, so a guardrail with thousands of
versions still renders one page. The alias and diff pickers are therefore not lists of every
version: they are typed fields (a number bounded by the newest version; a number, DRAFT,
latest or an alias) offering the :data:`RECENT` newest as suggestions, and any version can be
picked, on this page or not. The server checks what was typed: one that names no version of
the guardrail is a 400 page naming the field (``version``, ``from``, ``to``), not a 404 page
about some other object.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from urllib.parse import quote

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from steward.console.diffview import side_by_side
from steward.console.permissions import Action
from steward.console.web import PREFIX, list_page, page, read_form, render, signed_in, state_of
from steward.errors import InputError, NotFoundError
from steward.store.guardrails import GuardrailStore, parse_version_number, policy_diff
from steward.store.idents import check_alias, check_guardrail_id

__all__ = ["router"]

router = APIRouter()

T = TypeVar("T")

_MAX_REF = 64
#: Guardrails per page of the list, and versions per page of a guardrail's page.
PAGE = 50
#: Newest versions the pickers offer as suggestions (any other can be typed).
RECENT = 10


def _ref(value: str, field: str) -> str:
    value = value.strip()
    if not value:
        raise InputError("is required: a version number, DRAFT, latest or an alias", field=field)
    if len(value) > _MAX_REF:
        raise InputError(f"must be at most {_MAX_REF} characters", field=field)
    return value


def _no_such_version(store: GuardrailStore, guardrail_id: str, field: str, *, refs: bool) -> InputError:
    """The error for a picked version that ``guardrail_id`` does not have, saying what it has
    (``refs``: the field also takes DRAFT, latest and aliases)."""
    newest = store.versions_page(guardrail_id, limit=1, descending=True).items
    if not newest:
        return InputError(f"names no version of {guardrail_id}, which has only its DRAFT so far", field=field)
    usable = f"a number from 1 to {newest[0].version}" + (", DRAFT, latest or an alias" if refs else "")
    return InputError(f"names no version of {guardrail_id}; give {usable}", field=field)


async def _picked(
    store: GuardrailStore, guardrail_id: str, field: str, read: Callable[[], T], *, refs: bool = False
) -> T:
    """``read()`` (in a worker thread) of a version picked in the form field ``field``: a
    version or alias the guardrail lacks, or a malformed reference, is an :class:`InputError`
    naming ``field``; an unknown guardrail stays a 404."""
    try:
        return await run_in_threadpool(read)
    except NotFoundError as exc:
        if exc.kind == "guardrail":
            raise
        raise await run_in_threadpool(_no_such_version, store, guardrail_id, field, refs=refs) from None
    except InputError as exc:
        if exc.field != "guardrailVersion":
            raise
        raise InputError(exc.message.removeprefix("guardrailVersion: "), field=field) from None


@router.get("/guardrails", include_in_schema=False)
@page
async def guardrail_list(request: Request, after: str = "") -> Response:
    """Guardrails by id, :data:`PAGE` at a time."""
    session = await signed_in(request, Action.GUARDRAILS)
    store = state_of(request).guardrails
    guardrails = await list_page(
        lambda cursor: store.page(after=cursor, limit=PAGE), path="/guardrails", field="after", cursor=after
    )
    return render(request, "guardrails.html", session=session, active="guardrails", guardrails=guardrails)


@router.get("/guardrails/{guardrail_id}", include_in_schema=False)
@page
async def guardrail_detail(request: Request, guardrail_id: str, after: str = "", moved: str = "") -> Response:
    """A guardrail's aliases, its versions newest first :data:`PAGE` at a time (``after``: the
    last version number of the previous page), the diff form and (for admins) the alias form."""
    session = await signed_in(request, Action.GUARDRAILS)
    check_guardrail_id(guardrail_id, field="guardrail")
    store = state_of(request).guardrails
    info = await run_in_threadpool(store.get, guardrail_id)
    versions = await list_page(
        lambda cursor: store.versions_page(guardrail_id, after=cursor, limit=PAGE, descending=True),
        path=f"/guardrails/{guardrail_id}",
        field="after",
        cursor=after,
    )
    # The pickers suggest the RECENT newest versions whichever page is shown: the first page
    # already holds them unless it is shorter than that (and not the last).
    if versions.later or (versions.following and len(versions.items) < RECENT):
        newest = await run_in_threadpool(
            lambda: store.versions_page(guardrail_id, limit=RECENT, descending=True)
        )
        recent = newest.items
    else:
        recent = versions.items[:RECENT]
    aliases = await run_in_threadpool(store.list_aliases, guardrail_id)
    return render(
        request,
        "guardrail.html",
        session=session,
        active="guardrails",
        info=info,
        versions=versions,
        recent=recent,
        latest=recent[0].version if recent else None,
        aliases=aliases,
        moved=moved[:200],
    )


@router.get("/guardrails/{guardrail_id}/diff", include_in_schema=False)
@page
async def guardrail_diff(request: Request, guardrail_id: str) -> Response:
    """Two versions side by side, with the field-level changes the API's diff lists."""
    session = await signed_in(request, Action.GUARDRAILS)
    check_guardrail_id(guardrail_id, field="guardrail")
    from_ref = _ref(request.query_params.get("from", ""), "from")
    to_ref = _ref(request.query_params.get("to", "DRAFT"), "to")
    store = state_of(request).guardrails
    a_ref, a = await _picked(
        store, guardrail_id, "from", lambda: store.policy_at(guardrail_id, from_ref), refs=True
    )
    b_ref, b = await _picked(
        store, guardrail_id, "to", lambda: store.policy_at(guardrail_id, to_ref), refs=True
    )
    diff = policy_diff(
        a, b, old_label=f"{guardrail_id}:{a_ref.version}", new_label=f"{guardrail_id}:{b_ref.version}"
    )
    return render(
        request,
        "diff.html",
        session=session,
        active="guardrails",
        guardrail_id=guardrail_id,
        diff=diff,
        rows=side_by_side(a, b),
    )


@router.post("/guardrails/{guardrail_id}/aliases", include_in_schema=False)
@page
async def move_alias(request: Request, guardrail_id: str) -> Response:
    """Ask to confirm an alias move; with ``confirm=yes`` (and a fresh CSRF token) make it."""
    session = await signed_in(request, Action.MOVE_ALIAS)
    form = await read_form(request, session)
    check_guardrail_id(guardrail_id, field="guardrail")
    name = check_alias(form.get("alias", "").strip(), field="alias")
    number = parse_version_number(_ref(form.get("version", ""), "version"), field="version")
    if number is None or number < 1:
        raise InputError("must be a version number (1, 2, ...)", field="version")
    state = state_of(request)
    store = state.guardrails
    if form.get("confirm") != "yes":
        current = {a.name: a.version for a in await run_in_threadpool(store.list_aliases, guardrail_id)}
        await _picked(store, guardrail_id, "version", lambda: store.get_version(guardrail_id, number))
        return render(
            request,
            "confirm_alias.html",
            session=session,
            active="guardrails",
            guardrail_id=guardrail_id,
            alias=name,
            version=number,
            current=current.get(name),
        )
    alias = await _picked(
        store,
        guardrail_id,
        "version",
        lambda: store.set_alias(guardrail_id, name, number, updated_by=session.key_id),
    )
    state.guards.invalidate(guardrail_id)
    note = quote(f"{alias.name} now points to version {alias.version}")
    return RedirectResponse(f"{PREFIX}/guardrails/{guardrail_id}?moved={note}", status_code=303)
