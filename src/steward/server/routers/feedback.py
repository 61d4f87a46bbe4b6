"""End users' voice over HTTP: ``POST /v1/feedback``, ``POST /v1/appeals``, ``GET /v1/appeals/{id}``.

An application (an ``app`` key) sends these on behalf of its end users; the end user's id,
if given, is stored only as a keyed hash. An appeal opens a review item; its status shows
the outcome and the reviewer's explanation once a reviewer resolved it. Reviewers, auditors
and admins read feedback with ``GET /v1/feedback`` and appeals with ``GET /v1/appeals``, a page
at a time (newest first; ``next`` is the following page's cursor, passed back as ``after``).
``GET /v1/systems/{id}/notice`` is the plain-language notice an application shows its users
(any key).

Feedback must name a decision made for the sending key (an admin's may name any): an unknown
request id and another key's are the same 404 and take the same path, so neither tells whether
the id exists (:class:`~steward.app.feedback.FeedbackTargets`). A request id this process
looked up before is checked in memory, on the event loop; any other costs one indexed read of
the audit trail in a worker thread, after this process's audit writer stored what it held if
the id is not there yet; a refusal reads it again 0.25, 0.75 and 1.75 s later (the decision may
have been made by another worker process whose writer has not committed it yet). Concurrent
requests naming one id share each read (:class:`~steward.server.offload.Coalescer`), and so
do concurrent appeals of one id their read of the decision: otherwise a burst of 64 first
requests on one answer reads the database 64 times, holding 64 worker threads.

Feedback and appeals are stored by the review writer (:mod:`steward.review.writer`) in batches,
and both answer only once their batch has committed (group commit): a 201 means the row is in
the database, so a crash right after the answer loses nothing, and a reader anywhere sees it at
once. While the writer works the event loop serves other requests. Rows that could not be
stored answer 503, saying nothing was stored (the client may send them again); a full queue
makes them wait, never drops a row.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Literal

import anyio
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from steward.app.feedback import FeedbackTargets, appeal_entry
from steward.errors import StewardError
from steward.govern.repository import GovernanceStore
from steward.policy import parse_policy
from steward.review import State
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
from steward.server.offload import Coalescer
from steward.server.params import PageAfter, PageLimit
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
#: How long a refused piece of feedback waits before each further read of its request id (1.75 s
#: in all): a decision another worker process made a moment ago may not be committed yet.
RECHECK_S = (0.25, 0.5, 1.0)


def targets(request: Request) -> FeedbackTargets:
    """The app's :class:`FeedbackTargets` (one per app, made on first use)."""
    found: FeedbackTargets | None = getattr(request.app.state, "feedback_targets", None)
    if found is None:
        found = FeedbackTargets(services(request).voice.store, get_state(request).audit)
        request.app.state.feedback_targets = found
    return found


def shared_reads(request: Request) -> Coalescer:
    """The app's reads of request ids, shared by concurrent requests (one per app, made on first use)."""
    found: Coalescer | None = getattr(request.app.state, "feedback_reads", None)
    if found is None:
        found = Coalescer()
        request.app.state.feedback_reads = found
    return found


async def check_target(request: Request, request_id: str, caller: Caller) -> None:
    """Refuse (404) feedback about a request id not decided for ``caller``'s key (admins: any
    stored decision). Memory first; then the audit trail in a worker thread (one read shared by
    the concurrent checks of the id), again after each wait of :data:`RECHECK_S`, whether the
    id is unknown or another key's, so the two look alike."""
    check = targets(request)
    admin = caller.role is Role.ADMIN
    if check.allowed_in_memory(request_id, caller.key_id, admin=admin):
        return
    for wait in (0.0, *RECHECK_S):
        if wait:  # the first read is joined at once: no step between memory and a running read
            await anyio.sleep(wait)
        found = await shared_reads(request).run(("lookup", request_id), partial(check.lookup, request_id))
        if check.allows(found, caller.key_id, admin=admin):
            return
    raise check.refusal(request_id)


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
    """Store the feedback; the answer (its id) comes once it is committed, 503 if it could not be.
    The request id must name a decision made for this key (admins: any decision): 404 otherwise."""
    await check_target(request, body.request_id, caller)
    built = services(request)
    entry = built.voice.new_feedback(
        request_id=body.request_id,
        rating=body.rating,
        category=body.category,
        text=body.text,
        user_id=body.user_id,
        caller=caller.key_id,
    )
    await built.writer.store(entry)
    return json_response({"id": entry.id}, status_code=201)


@router.get("/feedback", response_class=Response, summary="List feedback")
def list_feedback(
    request: Request,
    caller: Caller = _readers,
    request_id: Annotated[str | None, Query(alias="requestId", max_length=64)] = None,
    after: PageAfter = None,
    limit: PageLimit = 100,
) -> Response:
    """Feedback newest first (users as keyed hashes), a page at a time: pass ``next`` as ``after``."""
    settled(request)
    found = voice(request).store.feedback_page(request_id=request_id, after=after, limit=limit)
    return json_response({"feedback": [r.to_dict() for r in found.items], "next": found.next})


@router.get("/appeals", response_class=Response, summary="List appeals")
def list_appeals(
    request: Request,
    caller: Caller = _readers,
    state: Annotated[list[State] | None, Query(description="the state of the appeal's review item")] = None,
    after: PageAfter = None,
    limit: PageLimit = 100,
) -> Response:
    """Appeals newest first, with their state, outcome and review item, a page at a time: pass
    ``next`` as ``after``; ``state`` (repeatable) keeps those whose item is in it."""
    settled(request)
    found = voice(request).store.appeals_page(states=[s.value for s in state or []], after=after, limit=limit)
    return json_response({"appeals": [appeal_entry(e) for e in found.items], "next": found.next})


@router.post("/appeals", status_code=201, response_class=Response, summary="Appeal a decision")
async def appeal(body: AppealBody, request: Request, caller: Caller = _app_role) -> Response:
    """Open a review item of reason ``appeal``; the answer holds the appeal's id and state, once
    the appeal and its item are committed (together), 503 if they could not be.

    A decision this process made a moment ago may still sit in its audit writer's queue: that
    queue is flushed (at most five seconds: a busy PostgreSQL can take over one) before the
    decision is called unknown. Both run in a worker thread (they read the database), once for
    the concurrent appeals of one request id (:meth:`FeedbackTargets.decision`).
    """
    built = services(request)
    request_id = body.request_id
    check = targets(request)
    decision = await shared_reads(request).run(("decision", request_id), partial(check.decision, request_id))
    contest = partial(
        built.voice.new_appeal,
        request_id=request_id,
        reason=body.reason,
        text=body.text,
        user_id=body.user_id,
        caller=reviewer_of(caller),
        find=lambda _: decision,
    )
    item, new_appeal = await run_in_threadpool(contest)
    await built.writer.store(item, new_appeal)  # one transaction: the item first, then its appeal
    return json_response(
        appeal_view(new_appeal.id, new_appeal.request_id, new_appeal.created_at, item), status_code=201
    )


@router.get("/appeals/{appeal_id}", response_class=Response, summary="An appeal's state and outcome")
def appeal_status(appeal_id: str, request: Request, caller: Caller = _app_role) -> Response:
    """State; once resolved, the outcome (upheld or overturned) and the reviewer's explanation.
    An appeal is committed before its id is answered, so any server process finds it at once."""
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
