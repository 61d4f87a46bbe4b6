"""What every console page shares: templates, security headers, the signed-in session, forms.

Pages call :func:`signed_in` (redirects to sign-in, or 403 for a role that may not) and
:func:`read_form` (the urlencoded body, with the session's CSRF token checked). Handlers are
wrapped in :func:`page`, which turns a Steward error into an HTML page with the API's status
(a bad filter is a 400 page naming the field, never a traceback).

Handlers are ``async`` (a form's body is read with ``await``), so every database read of theirs
runs in a worker thread (``run_in_threadpool``), the session check of :func:`signed_in` included:
a page that waits on the database never stalls the server's other requests.

Lists come a page at a time (:func:`list_page`): the "Next page" link carries the cursor the
store gave (the last row shown) in a query parameter of the list's own, so two lists on one page
page independently and a bad cursor is a 400 page naming that parameter.
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, ParamSpec, TypeVar
from urllib.parse import parse_qsl, quote, urlencode

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from steward.console.permissions import Action, may
from steward.console.sessions import ConsoleSession, SessionStore
from steward.errors import InputError, StewardError
from steward.server.errors import status_for
from steward.server.state import ServerState, get_state
from steward.store.paging import Page

__all__ = [
    "COOKIE",
    "PREFIX",
    "SECURITY_HEADERS",
    "ConsoleExitError",
    "Listing",
    "guardrail_ids",
    "list_page",
    "page",
    "read_form",
    "render",
    "session_of",
    "session_store",
    "signed_in",
]

PREFIX = "/console"
#: The session cookie's name.
COOKIE = "steward_console"
#: Most form fields and bytes a console form may send (room for the playground's three texts at
#: the policy's text limit, percent-encoded; the server's body limit applies first).
_MAX_FIELDS = 50
_MAX_FORM_BYTES = 4 * 1024 * 1024

#: No inline script or style anywhere: scripts, styles and images come from /console/static.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
    "x-frame-options": "DENY",
}

_env = Environment(
    loader=PackageLoader("steward.console", "templates"),
    autoescape=select_autoescape(("html", "svg")),
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.globals["Action"] = Action
_env.globals["may"] = may
_env.globals["prefix"] = PREFIX

_NAV = (
    (Action.OVERVIEW, "Overview", "/overview"),
    (Action.MONITORING, "Monitoring", "/monitoring"),
    (Action.GUARDRAILS, "Guardrails", "/guardrails"),
    (Action.PLAYGROUND, "Playground", "/playground"),
    (Action.AUDIT, "Audit", "/audit"),
    (Action.REVIEW, "Review", "/review"),
    (Action.FEEDBACK, "Feedback", "/feedback"),
    (Action.GOVERNANCE, "Governance", "/governance"),
    (Action.KEYS, "Keys", "/keys"),
)


class ConsoleExitError(Exception):
    """Stop handling a page and answer ``response`` (a redirect or an error page)."""

    def __init__(self, response: Response) -> None:
        super().__init__("console exit")
        self.response = response


def session_store(request: Request) -> SessionStore:
    """The app's console sessions."""
    store: SessionStore = request.app.state.console_sessions
    return store


def render(
    request: Request,
    template: str,
    *,
    session: ConsoleSession | None,
    status_code: int = 200,
    active: str = "",
    **context: Any,
) -> HTMLResponse:
    """A page from ``template`` with the navigation ``session``'s role may see and the security headers."""
    nav = [
        {"label": label, "href": PREFIX + path, "current": path.strip("/") == active}
        for action, label, path in _NAV
        if session is not None and may(session.role, action)
    ]
    html = _env.get_template(template).render(
        request=request, session=session, nav=nav, csrf=session.csrf if session else "", **context
    )
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)


def error_page(request: Request, status: int, message: str, session: ConsoleSession | None) -> HTMLResponse:
    """An error page with ``status`` and a message saying what to fix."""
    return render(request, "error.html", session=session, status_code=status, status=status, message=message)


async def session_of(request: Request) -> ConsoleSession | None:
    """The request's live session (read in a worker thread: it asks the database), ended at once
    if its API key was revoked or deleted."""
    return await run_in_threadpool(_current_session, request)


def _current_session(request: Request) -> ConsoleSession | None:
    store = session_store(request)
    token = request.cookies.get(COOKIE)
    session = store.get(token)
    if session is None:
        return None
    key = get_state(request).keys.lookup(session.key_id)
    if key is None or key.revoked:
        store.revoke_key(session.key_id)
        return None
    return session


async def signed_in(request: Request, action: Action | None = None) -> ConsoleSession:
    """The session, or :class:`ConsoleExitError`: to sign-in when there is none, 403 when the role may not."""
    session = await session_of(request)
    if session is None:
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""), safe="")
        raise ConsoleExitError(RedirectResponse(f"{PREFIX}/sign-in?next={target}", status_code=303))
    if action is not None and not may(session.role, action):
        raise ConsoleExitError(
            error_page(
                request,
                403,
                f"your key's role ({session.role.value}) may not use this page or action.",
                session,
            )
        )
    return session


async def read_form(
    request: Request, session: ConsoleSession | None, *, csrf: str | None = None
) -> dict[str, str]:
    """The urlencoded form of a POST; its ``csrf`` field must be the session's token (or ``csrf``)."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
        raise InputError("a console form must be sent as application/x-www-form-urlencoded", field="body")
    body = await request.body()
    if len(body) > _MAX_FORM_BYTES:
        raise InputError(f"the form is larger than {_MAX_FORM_BYTES} bytes", field="body")
    try:
        pairs = parse_qsl(
            body.decode("utf-8"), keep_blank_values=True, max_num_fields=_MAX_FIELDS, errors="strict"
        )
    except UnicodeDecodeError:
        raise InputError("the form is not valid UTF-8", field="body") from None
    except ValueError:
        raise InputError(f"the form has more than {_MAX_FIELDS} fields", field="body") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        form.setdefault(name, value)
    expected = session.csrf if session is not None else csrf
    presented = form.get("csrf", "")
    if not expected or not hmac.compare_digest(presented.encode(), expected.encode()):
        raise ConsoleExitError(
            error_page(
                request, 403, "the form's CSRF token is missing or stale: reload the page and retry.", session
            )
        )
    return form


P = ParamSpec("P")


def page(handler: Callable[P, Awaitable[Response]]) -> Callable[P, Awaitable[Response]]:
    """Wrap a page handler: :class:`ConsoleExitError` answers as given, Steward errors as error pages."""

    @functools.wraps(handler)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> Response:
        request = kwargs.get("request")
        assert isinstance(request, Request), "console handlers take 'request' as a keyword"
        try:
            return await handler(*args, **kwargs)
        except ConsoleExitError as stop:
            return stop.response
        except StewardError as exc:
            status, _ = status_for(exc)
            if status >= 500:
                raise
            return error_page(request, status, exc.message, await session_of(request))

    return wrapper


def state_of(request: Request) -> ServerState:
    """The server's shared state (the same stores and guards the API uses)."""
    return get_state(request)


async def guardrail_ids(request: Request) -> list[str]:
    """Every guardrail id, for a page's guardrail choice (read in a worker thread)."""
    return [g.id for g in await run_in_threadpool(state_of(request).guardrails.list_all)]


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Listing(Generic[T]):
    """One page of a list as a template shows it: its rows, whether it is a later page, and the
    "First page" and "Next page" links (empty when there is none)."""

    items: list[T]
    later: bool
    first: str
    following: str


async def list_page(
    fetch: Callable[[str | None], Page[T]],
    *,
    path: str,
    field: str,
    cursor: str,
    kept: dict[str, str] | None = None,
) -> Listing[T]:
    """The page of a list at ``path`` that follows the row ``cursor`` (the value of the query
    parameter ``field``; empty: the first page), fetched in a worker thread. ``kept`` are the
    other query parameters its links carry (filters). A cursor that names no row is an
    :class:`InputError` naming ``field``."""
    try:
        found = await run_in_threadpool(fetch, cursor or None)
    except InputError as exc:
        if exc.field != "after":
            raise
        raise InputError(exc.message.removeprefix("after: "), field=field) from None
    kept = {k: v for k, v in (kept or {}).items() if v}
    first = PREFIX + path + (f"?{urlencode(kept)}" if kept else "")
    following = f"{PREFIX}{path}?{urlencode({**kept, field: found.next})}" if found.next else ""
    return Listing(found.items, bool(cursor), first if cursor else "", following)
