"""Feedback and appeals: what end users said about the answers, and where their appeals stand.

Through the API's own :class:`~steward.review.voice.Voice` and review store (the ones
``/v1/feedback`` and ``/v1/appeals`` use, :func:`steward.server.routers.review.services`):
feedback newest first, filtered by request id; the review items appeals opened, with their
state and outcome; and one appeal by id, answered exactly as ``GET /v1/appeals/{id}``
answers its application (state, due time, and once resolved the outcome and explanation).
The console's readers (reviewers, auditors, admins) see every application's appeals, as
they see every review item.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from steward.console.permissions import Action
from steward.console.web import page, render, signed_in
from steward.errors import InputError
from steward.review import Reason, Reviewer, State
from steward.review.queue import item_summary
from steward.server.routers.review import services, voice

__all__ = ["APPEAL_OUTCOMES", "router"]

router = APIRouter()

#: Rows per list (feedback, appeals): the newest / soonest due.
_LIMIT = 200
#: Request and appeal ids as the API accepts them.
_ID = re.compile(r"^[0-9A-Za-z_\-]{1,64}$")
#: A resolved appeal's item outcome, in the words ``/v1/appeals/{id}`` answers.
APPEAL_OUTCOMES = {"confirmed": "upheld", "overturned": "overturned"}


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
    request: Request, request_id: str = "", appeal: str = "", appeal_state: str = ""
) -> Response:
    """Feedback (optionally for one request), appeals by state, and one appeal looked up by id."""
    session = await signed_in(request, Action.FEEDBACK)
    wanted = _id(request_id, "request_id")
    appeal_id = _id(appeal, "appeal")
    states = [s.value for s in State]
    if appeal_state and appeal_state not in states:
        raise InputError(f"must be one of {', '.join(states)}", field="appeal_state")
    records = await run_in_threadpool(lambda: voice(request).list_feedback(request_id=wanted, limit=_LIMIT))
    store = services(request).queue.store
    items = await run_in_threadpool(
        lambda: store.list_items(
            states=[appeal_state] if appeal_state else [], reasons=[Reason.APPEAL.value], limit=_LIMIT
        )
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
        feedback=records,
        appeals=[item_summary(i) for i in items],
        outcomes=APPEAL_OUTCOMES,
        states=states,
        appeal_state=appeal_state,
        request_id=wanted or "",
        appeal_id=appeal_id or "",
        found=found,
    )
