"""End users' voice over HTTP: ``POST /v1/feedback``, ``POST /v1/appeals``, ``GET /v1/appeals/{id}``.

An application (an ``app`` key) sends these on behalf of its end users; the end user's id,
if given, is stored only as a keyed hash. An appeal opens a review item; its status shows
the outcome and the reviewer's explanation once a reviewer resolved it. Reviewers, auditors
and admins read feedback with ``GET /v1/feedback``. ``GET /v1/systems/{id}/notice`` is the
plain-language notice an application shows its users (any key).

Feedback and appeals are stored by the review writer (:mod:`steward.review.writer`): the
feedback route does no I/O of its own (it runs on the event loop, no thread hop), and both
answer once the row is queued; a full queue makes them wait, never drops a row.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from steward.errors import NotFoundError, StewardError
from steward.govern.repository import GovernanceStore
from steward.policy import parse_policy
from steward.review.notice import notice_html
from steward.review.notice import system_notice as build_notice
from steward.review.voice import (
    APPEAL_REASON_MAX,
    APPEAL_TEXT_MAX,
    FEEDBACK_TEXT_MAX,
    USER_ID_MAX,
    appeal_view,
)
from steward.server.auth import Caller, Role, require_role
from steward.server.responses import json_response
from steward.server.routers.review import reviewer_of, services, settled, voice
from steward.server.state import get_state

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["feedback"])

_app_role = Depends(require_role(Role.APP))
_readers = Depends(require_role(Role.REVIEWER, Role.AUDITOR))
_any_role = Depends(require_role(*Role))

#: A request id as Steward issues them (or a caller-chosen one of the same shape).
_REQUEST_ID = Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_\-]+$", alias="requestId")


class FeedbackBody(BaseModel):
    """A rating (1-5) of the answer to one request, with an optional category and free text."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    request_id: str = _REQUEST_ID
    rating: int = Field(ge=1, le=5)
    category: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")
    text: str | None = Field(default=None, max_length=FEEDBACK_TEXT_MAX)
    user_id: str | None = Field(default=None, min_length=1, max_length=USER_ID_MAX, alias="userId")


class AppealBody(BaseModel):
    """The request whose decision is contested, why, and optionally the text for the reviewer."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    request_id: str = _REQUEST_ID
    reason: str = Field(min_length=1, max_length=APPEAL_REASON_MAX)
    text: str | None = Field(default=None, max_length=APPEAL_TEXT_MAX)
    user_id: str | None = Field(default=None, min_length=1, max_length=USER_ID_MAX, alias="userId")


@router.post("/feedback", status_code=201, response_class=Response, summary="Send an end user's feedback")
async def send_feedback(body: FeedbackBody, request: Request, caller: Caller = _app_role) -> Response:
    """Queue the feedback for storage; the answer is its id."""
    built = services(request)
    entry = built.voice.new_feedback(
        request_id=body.request_id,
        rating=body.rating,
        category=body.category,
        text=body.text,
        user_id=body.user_id,
        caller=caller.key_id,
    )
    await built.writer.put(entry)
    return json_response({"id": entry.id}, status_code=201)


@router.get("/feedback", response_class=Response, summary="List feedback")
def list_feedback(
    request: Request,
    caller: Caller = _readers,
    request_id: Annotated[str | None, Query(alias="requestId", max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    """Feedback newest first (users as keyed hashes)."""
    settled(request)
    records = voice(request).list_feedback(request_id=request_id, limit=limit)
    return json_response({"feedback": [r.to_dict() for r in records]})


@router.post("/appeals", status_code=201, response_class=Response, summary="Appeal a decision")
def appeal(body: AppealBody, request: Request, caller: Caller = _app_role) -> Response:
    """Open a review item of reason ``appeal``; the answer holds the appeal's id and state.

    A decision this process made a moment ago may still sit in its audit writer's queue: that
    queue is flushed (at most five seconds: a busy PostgreSQL can take over one) before the
    decision is called unknown.
    """
    built = services(request)
    contest = partial(
        built.voice.new_appeal,
        request_id=body.request_id,
        reason=body.reason,
        text=body.text,
        user_id=body.user_id,
        caller=reviewer_of(caller),
    )
    try:
        item, new_appeal = contest()
    except NotFoundError:
        # Flushed whether or not anything looks pending: the record may be between the queue
        # and its commit, and an empty queue returns at once.
        get_state(request).audit.flush(timeout=5.0)
        item, new_appeal = contest()
    built.writer.submit(item)
    built.writer.submit(new_appeal)  # after its item, in the same queue
    return json_response(
        appeal_view(new_appeal.id, new_appeal.request_id, new_appeal.created_at, item), status_code=201
    )


@router.get("/appeals/{appeal_id}", response_class=Response, summary="An appeal's state and outcome")
def appeal_status(appeal_id: str, request: Request, caller: Caller = _app_role) -> Response:
    """State; once resolved, the outcome (upheld or overturned) and the reviewer's explanation."""
    try:
        return json_response(voice(request).appeal_status(appeal_id, reviewer_of(caller)))
    except NotFoundError:
        writer = services(request).writer
        if not writer.pending:
            raise
        writer.flush(timeout=1.0)  # an appeal sent a moment ago may still be queued
        return json_response(voice(request).appeal_status(appeal_id, reviewer_of(caller)))


@router.get(
    "/systems/{system_id}/notice",
    response_class=Response,
    summary="The plain-language notice of an AI system (JSON, or HTML with format=html)",
)
def system_notice(
    system_id: str,
    request: Request,
    caller: Caller = _any_role,
    shape: Annotated[Literal["json", "html"], Query(alias="format")] = "json",
) -> Response:
    """That the user deals with an AI, its uses and limits, what is logged and for how long,
    how feedback and appeals are used, and how to reach a person — from the inventory."""
    state = get_state(request)
    system = GovernanceStore(state.sessions).get_system(system_id)
    retention: list[int] = []
    for ref in system.guardrails:
        try:
            document = (
                state.guardrails.get(ref.id).policy
                if ref.version == "DRAFT"
                else state.guardrails.get_version(ref.id, int(ref.version)).policy
            )
            retention.append(parse_policy(document, origin=f"{ref.id}:{ref.version}").review.retention_days)
        except StewardError:
            continue  # a guardrail gone since the system was registered says nothing about retention
    notice = build_notice(system, retention_days=retention, sla=services(request).queue.sla)
    if shape == "html":
        return Response(notice_html(notice), media_type="text/html; charset=utf-8")
    return json_response(notice)
