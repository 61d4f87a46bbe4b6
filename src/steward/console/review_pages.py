"""Review pages: the queue (filtered, a page at a time), one item with its findings highlighted,
claim / confirm / overturn / escalate / comment.

Every action goes through the API's own :class:`~steward.review.ReviewQueue` (the one
``/v1/review`` builds per app, :func:`steward.server.routers.review.services`), so the same
rules hold: only the holder of a claimed item may resolve it, four-eyes rules apply, and
every action lands in the item's history under the signed-in key. A refused action (an item
already claimed, another reviewer's item) is an error page with the API's status (409, 403).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from steward.console.highlight import Span, pieces
from steward.console.permissions import Action
from steward.console.sessions import ConsoleSession
from steward.console.web import PREFIX, list_page, page, read_form, render, signed_in
from steward.errors import InputError
from steward.review import Reason, Reviewer, State
from steward.review.queue import item_summary, item_view
from steward.server.routers.review import services
from steward.store.keys import Role
from steward.store.paging import Page
from steward.store.review import ItemRecord

__all__ = ["router"]

router = APIRouter()

_STATES = ("", *(s.value for s in State))
_REASONS = ("", *(r.value for r in Reason))
#: Items per page of the queue.
PAGE = 50
_MAX_ID = 64
_ACTIONS = ("claim", "release", "confirm", "overturn", "escalate", "comment")
#: What the item page says after each action ("Item claimed.").
_DONE = {
    "claim": "claimed",
    "release": "released",
    "confirm": "confirmed",
    "overturn": "overturned",
    "escalate": "escalated",
    "comment": "commented",
}


def _reviewer(session: ConsoleSession) -> Reviewer:
    return Reviewer(session.key_id, admin=session.role is Role.ADMIN)


def _item_id(value: str) -> str:
    if not value or len(value) > _MAX_ID:
        raise InputError(f"must be a review item id (1-{_MAX_ID} characters)", field="item")
    return value


@router.get("/review", include_in_schema=False)
@page
async def review_queue(
    request: Request, state: str = "", reason: str = "", mine: str = "", after: str = ""
) -> Response:
    """Items due first, filtered by state, reason or to the signed-in key's claims, :data:`PAGE`
    at a time ("Next page" follows the cursor: the last item shown)."""
    session = await signed_in(request, Action.REVIEW)
    if state not in _STATES:
        raise InputError(f"must be one of {', '.join(s for s in _STATES if s)}", field="state")
    if reason not in _REASONS:
        raise InputError(f"must be one of {', '.join(r for r in _REASONS if r)}", field="reason")
    store = services(request).queue.store

    def fetch(cursor: str | None) -> Page[ItemRecord]:
        items = store.list_items(
            states=[state] if state else [],
            reasons=[reason] if reason else [],
            assignee=session.key_id if mine else None,
            limit=PAGE + 1,
            after=cursor,  # the store refuses a cursor that names no item
        )
        return Page(items[:PAGE], items[PAGE - 1].id if len(items) > PAGE else None)

    kept = {"state": state, "reason": reason, "mine": "1" if mine else ""}
    items = await list_page(fetch, path="/review", field="after", cursor=after, kept=kept)
    return render(
        request,
        "review.html",
        session=session,
        active="review",
        items=[item_summary(i) for i in items.items],
        state=state,
        states=[s for s in _STATES if s],
        reason=reason,
        reasons=[r for r in _REASONS if r],
        mine=bool(mine),
        listing=items,
    )


@router.get("/review/{item_id}", include_in_schema=False)
@page
async def review_item(request: Request, item_id: str, done: str = "") -> Response:
    """The item's text with its findings highlighted, its history, and the actions open to this key."""
    session = await signed_in(request, Action.REVIEW)
    store = services(request).queue.store
    view: dict[str, Any] = item_view(await run_in_threadpool(store.get_item, _item_id(item_id)))
    findings = [
        Span(int(f.get("start", 0)), int(f.get("end", 0))) for f in view["findings"] if isinstance(f, dict)
    ]
    return render(
        request,
        "review_item.html",
        session=session,
        active="review",
        item=view,
        pieces=pieces(view["text"] or "", findings),
        mine=view["assignee"] == session.key_id,
        done=done[:200],
    )


@router.post("/review/{item_id}/{action}", include_in_schema=False)
@page
async def review_action(request: Request, item_id: str, action: str) -> Response:
    """Claim, release, confirm, overturn (label, category), escalate or comment; then back to the item."""
    session = await signed_in(request, Action.REVIEW)
    form = await read_form(request, session)
    if action not in _ACTIONS:
        raise InputError(f"must be one of {', '.join(_ACTIONS)}", field="action")
    item_id = _item_id(item_id)
    queue = services(request).queue
    who = _reviewer(session)
    note = form.get("note", "").strip() or None
    if action == "claim":
        await run_in_threadpool(queue.claim, item_id, who)
    elif action == "release":
        await run_in_threadpool(queue.release, item_id, who)
    elif action == "confirm":
        await run_in_threadpool(queue.confirm, item_id, who, note)
    elif action == "escalate":
        await run_in_threadpool(queue.escalate, item_id, who, note)
    elif action == "overturn":
        label = form.get("label", "")
        if label not in ("0", "1"):
            raise InputError("choose whether the text should have been caught (1) or not (0)", field="label")
        category = form.get("category", "").strip() or None
        await run_in_threadpool(
            lambda: queue.overturn(item_id, who, label=int(label), category=category, explanation=note)
        )
    else:
        if note is None:
            raise InputError("is empty: write the comment", field="note")
        await run_in_threadpool(queue.comment, item_id, who, note)
    message = quote(_DONE[action])
    return RedirectResponse(f"{PREFIX}/review/{quote(item_id)}?done={message}", status_code=303)
