"""Feedback and appeals: what end users said about the answers, and where their appeals stand.

Through the API's own review store and :class:`~steward.review.voice.Voice` (the ones
``/v1/feedback`` and ``/v1/appeals`` use, :func:`steward.server.routers.review.services`):
feedback newest first, filtered by request id; appeals newest first, filtered by the state of
the review item each opened, with their outcome (as :func:`~steward.app.feedback.appeal_entry`
lists them for ``GET /v1/appeals``); each list :data:`PAGE` rows at a time with a cursor of its
own; and one appeal by id, answered exactly as ``GET /v1/appeals/{id}`` answers its application
(state, due time, and once resolved the outcome and explanation). The console's readers
(reviewers, auditors, admins) see every application's appeals, as they see every review item.
What this process's review writer still holds is stored first, as the API's reads do, so
feedback sent a moment ago is listed.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from steward.app.feedback import appeal_entry
from steward.console.permissions import Action
from steward.console.web import list_page, page, render, signed_in
from steward.errors import InputError
from steward.review import Reviewer, State
from steward.server.routers.review import settled, voice
from steward.store.paging import Page

__all__ = ["PAGE", "router"]

router = APIRouter()

#: Rows per page of each list (feedback, appeals).
PAGE = 50
#: Request and appeal ids as the API accepts them.
_ID = re.compile(r"^[0-9A-Za-z_\-]{1,64}$")


def _id(value: str, field: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    if not _ID.match(value):
        raise InputError("must be 1-64 letters, digits, '-' or '_'", field=field)
    return value


@router.get("/feedback", include_in_schema=False)
@page
async def feedback_page(
    request: Request,
    request_id: str = "",
    appeal: str = "",
    appeal_state: str = "",
    after: str = "",
    appeals_after: str = "",
) -> Response:
    """Feedback (optionally for one request), appeals by state, a page of each, and one appeal looked up by id."""
    session = await signed_in(request, Action.FEEDBACK)
    wanted = _id(request_id, "request_id")
    appeal_id = _id(appeal, "appeal")
    states = [s.value for s in State]
    if appeal_state and appeal_state not in states:
        raise InputError(f"must be one of {', '.join(states)}", field="appeal_state")
    await run_in_threadpool(settled, request)
    store = voice(request).store
    kept = {"request_id": wanted or "", "appeal_state": appeal_state}

    def appeals(cursor: str | None) -> Page[dict[str, Any]]:
        found = store.appeals_page(states=[appeal_state] if appeal_state else [], after=cursor, limit=PAGE)
        return Page([appeal_entry(e) for e in found.items], found.next)

    feedback = await list_page(
        lambda cursor: store.feedback_page(request_id=wanted, after=cursor, limit=PAGE),
        path="/feedback",
        field="after",
        cursor=after,
        kept={**kept, "appeals_after": appeals_after},
    )
    appeal_list = await list_page(
        appeals, path="/feedback", field="appeals_after", cursor=appeals_after, kept={**kept, "after": after}
    )
    found: dict[str, Any] | None = None
    if appeal_id is not None:
        reader = Reviewer(session.key_id, admin=True)  # staff read every application's appeals
        found = await run_in_threadpool(voice(request).appeal_status, appeal_id, reader)
    return render(
        request,
        "feedback.html",
        session=session,
        active="feedback",
        feedback=feedback,
        appeals=appeal_list,
        states=states,
        appeal_state=appeal_state,
        request_id=wanted or "",
        appeal_id=appeal_id or "",
        found=found,
    )
