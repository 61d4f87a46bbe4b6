"""``/v1/review/…``: the human review queue over HTTP, for ``reviewer`` keys (and admins).

List and read items (a reviewer reads the text, unsealed), claim, release, confirm,
overturn, escalate and comment. Every action is kept in the item's history with the key
that did it. Unknown ids are 404, an item in the wrong state 409, another key's item or a
four-eyes rule broken 403.

:func:`route_to_review` is what the apply path calls after answering: it queues the
decision when the policy asks for a person, without ever failing the request. New items,
appeals and feedback go through the app's :class:`~steward.review.writer.ReviewWriter`, so
the request pays for a queue put, not a commit; this router's lifespan loads the inventory
indexes at start-up and stores what is still queued at shutdown.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Annotated, Literal
from urllib.parse import quote

import anyio.to_thread
import orjson
from fastapi import APIRouter, Depends, FastAPI, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from steward.app import review as reviews
from steward.assessment import Assessment
from steward.errors import StewardError
from steward.policy.schema import Policy
from steward.proxy import openai_format as oai
from steward.proxy.chat import GuardBinding
from steward.proxy.request import ChatRequest
from steward.review import Reason, Reviewer, State
from steward.review.consequential import ReloadedIndex
from steward.review.export import ExportCount, eval_rows
from steward.review.handoff import HANDOFF_HEADER, HandoffAsk, handoff_ask, without_handoff_field
from steward.review.purge import PurgeScheduler
from steward.review.queue import CATEGORY_MAX, NOTE_MAX, item_summary, item_view
from steward.review.voice import Voice
from steward.server.auth import Caller, Role, require_role
from steward.server.responses import json_response
from steward.server.state import ServerState, get_state

__all__ = [
    "HANDOFF_HEADER",
    "app_services",
    "current",
    "handoff_answer",
    "handoff_requested",
    "install_purge",
    "notice_link",
    "reviewer_of",
    "route_to_review",
    "router",
    "services",
    "settled",
    "start_purge",
    "stop_purge",
    "without_handoff",
]

log = logging.getLogger(__name__)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Load the inventory indexes before the first request; store what the writer holds at shutdown."""
    built = app_services(app)
    for index in (built.consequential, built.systems):
        try:
            await anyio.to_thread.run_sync(index.refresh)
        except Exception as exc:  # the server still starts; the first request that needs it tries again
            log.warning("the inventory could not be read at start-up: %s", type(exc).__name__)
    yield
    await anyio.to_thread.run_sync(built.writer.close)


router = APIRouter(prefix="/v1/review", tags=["review"], lifespan=_lifespan)

_reviewer = Depends(require_role(Role.REVIEWER))
#: Most rows one export answer carries.
EXPORT_MAX = 100_000


def app_services(app: FastAPI) -> reviews.ReviewServices:
    """The app's :class:`ReviewServices` (one per app, made on first use)."""
    built: reviews.ReviewServices | None = getattr(app.state, "review_services", None)
    if built is None:
        built = reviews.ReviewServices(app.state.steward)
        app.state.review_services = built
    return built


def services(request: Request) -> reviews.ReviewServices:
    """The :class:`ReviewServices` of the app serving ``request``."""
    return app_services(request.app)


async def current(index: ReloadedIndex) -> None:
    """Make ``index`` fit to read: loaded now if it never was (normally at start-up), else
    reloaded in the background once stale while this request reads the last data.
    A :class:`StewardError` means the first load failed."""
    if not index.loaded:
        await anyio.to_thread.run_sync(index.refresh)
    elif index.stale:
        index.refresh_in_background()


def settled(request: Request) -> None:
    """Store what this process's writer still holds before a reviewer reads the queue (at most
    a second's wait), so an item opened a moment ago by this server is listed."""
    writer = services(request).writer
    if writer.pending:
        writer.flush(timeout=1.0)


async def notice_link(request: Request, guardrail_id: str, version: str) -> str | None:
    """The path of the notice of the system this guardrail version serves; None when no system
    in the inventory lists it, or the register cannot be read (the answer goes out without a link)."""
    index = services(request).systems
    try:
        await current(index)
    except StewardError as exc:
        log.warning("the inventory could not be read for the notice link: %s", type(exc).__name__)
        return None
    system_id = index.system_for(guardrail_id, version)
    return None if system_id is None else f"/v1/systems/{quote(system_id, safe='')}/notice"


def install_purge(app: FastAPI) -> None:
    """Give ``app`` its retention purge, every ``STEWARD_REVIEW_PURGE_INTERVAL_S`` seconds."""
    state: ServerState = app.state.steward
    purge = reviews.retention_purge(state, app_services(app))
    app.state.review_purge = PurgeScheduler(purge, interval_s=state.settings.review_purge_interval_s)


def start_purge(app: FastAPI) -> None:
    """Start the retention purge (call from the lifespan, on the event loop)."""
    scheduler: PurgeScheduler | None = getattr(app.state, "review_purge", None)
    if scheduler is not None:
        scheduler.start()


async def stop_purge(app: FastAPI) -> None:
    """Stop the retention purge."""
    scheduler: PurgeScheduler | None = getattr(app.state, "review_purge", None)
    if scheduler is not None:
        await scheduler.stop()


def reviewer_of(caller: Caller) -> Reviewer:
    """The acting key as the queue knows it (admins may take escalated items)."""
    return Reviewer(caller.key_id, admin=caller.role is Role.ADMIN)


async def route_to_review(
    request: Request,
    assessment: Assessment,
    text: str,
    policy: Policy,
    *,
    guardrail_id: str | None,
    version: str | None,
    caller: Caller,
    request_id: str | None = None,
) -> str | None:
    """Queue a decision that needs a person; the new item's id, or None. Never raises.

    Review findings, a guardrail version serving a consequential system (the inventory's
    register, reloaded every 30 s in the background), or a sampled pass send it (see
    :meth:`ReviewQueue.reason_for`). ``request_id`` names the decision when it is not the
    request's own id (a proxy request makes several decisions, audited as ``<request id>-in-0``,
    ``-out-0``, ...).

    The item goes to the writer's queue: the request pays no commit and no sealing. The
    caller has its answer already: an item that cannot be queued is logged (without the
    text) and the request still succeeds.
    """
    built = services(request)
    rid: str = request.state.request_id if request_id is None else request_id
    try:
        await current(built.consequential)
    except StewardError as exc:  # the register unreadable: route as if no system were consequential
        log.warning("the inventory could not be read for review routing: %s", type(exc).__name__)
    try:
        item = built.queue.routed(
            assessment,
            text,
            policy,
            request_id=rid,
            guardrail_id=guardrail_id,
            version=version,
            actor=caller.key_id,
            consequential=built.consequential.covers(guardrail_id, version),
        )
        if item is None:
            return None
        await built.writer.put(item)
    except StewardError as exc:
        log.warning("request %s could not be queued for review: %s", rid, type(exc).__name__)
        return None
    return item.id


class Verdict(BaseModel):
    """A confirmation, with the explanation an appellant will read."""

    model_config = ConfigDict(extra="forbid")

    explanation: str | None = Field(default=None, max_length=NOTE_MAX)


class Overturn(BaseModel):
    """The correct label (1 = should be caught) and category, and an explanation."""

    model_config = ConfigDict(extra="forbid")

    label: Literal[0, 1]
    category: str | None = Field(
        default=None, min_length=1, max_length=CATEGORY_MAX, pattern=r"^[A-Za-z0-9_\-]+$"
    )
    explanation: str | None = Field(default=None, max_length=NOTE_MAX)


class Note(BaseModel):
    """A comment, or the reason for an escalation."""

    model_config = ConfigDict(extra="forbid")

    note: str = Field(min_length=1, max_length=NOTE_MAX)


class OptionalNote(BaseModel):
    """An optional note."""

    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=NOTE_MAX)


@router.get("/items", response_class=Response, summary="List review items (no text)")
def list_items(
    request: Request,
    caller: Caller = _reviewer,
    state: Annotated[list[State] | None, Query()] = None,
    reason: Annotated[list[Reason] | None, Query()] = None,
    mine: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    """Items due first; filter by ``state`` and ``reason`` (repeatable), or ``mine`` (claimed by this key)."""
    settled(request)
    items = services(request).queue.store.list_items(
        states=[s.value for s in state or []],
        reasons=[r.value for r in reason or []],
        assignee=caller.key_id if mine else None,
        limit=limit,
    )
    return json_response({"items": [item_summary(i) for i in items]})


@router.get("/items/{item_id}", response_class=Response, summary="Read one review item with its text")
def get_item(item_id: str, request: Request, caller: Caller = _reviewer) -> Response:
    """The item, its text (unsealed), findings with spans, and history."""
    settled(request)
    return json_response(item_view(services(request).queue.store.get_item(item_id)))


@router.post("/items/{item_id}/claim", response_class=Response, summary="Claim an open item")
def claim(item_id: str, request: Request, caller: Caller = _reviewer) -> Response:
    """Take the item; of two keys claiming at once exactly one wins (the other gets 409)."""
    settled(request)
    return json_response(item_view(services(request).queue.claim(item_id, reviewer_of(caller))))


@router.post("/items/{item_id}/release", response_class=Response, summary="Put a claimed item back")
def release(item_id: str, request: Request, caller: Caller = _reviewer) -> Response:
    """Give the item back to the queue (its holder, or an admin)."""
    return json_response(item_view(services(request).queue.release(item_id, reviewer_of(caller))))


@router.post("/items/{item_id}/confirm", response_class=Response, summary="Confirm the decision")
def confirm(item_id: str, body: Verdict, request: Request, caller: Caller = _reviewer) -> Response:
    """The guard was right."""
    item = services(request).queue.confirm(item_id, reviewer_of(caller), body.explanation)
    return json_response(item_view(item))


@router.post("/items/{item_id}/overturn", response_class=Response, summary="Overturn the decision")
def overturn(item_id: str, body: Overturn, request: Request, caller: Caller = _reviewer) -> Response:
    """The guard was wrong; the body gives the correct label and category."""
    item = services(request).queue.overturn(
        item_id, reviewer_of(caller), label=body.label, category=body.category, explanation=body.explanation
    )
    return json_response(item_view(item))


@router.post("/items/{item_id}/escalate", response_class=Response, summary="Escalate to an admin")
def escalate(
    item_id: str, request: Request, body: OptionalNote | None = None, caller: Caller = _reviewer
) -> Response:
    """Hand the item to the admins."""
    note = body.note if body is not None else None
    return json_response(item_view(services(request).queue.escalate(item_id, reviewer_of(caller), note)))


@router.post("/items/{item_id}/comment", response_class=Response, summary="Comment on an item")
def comment(item_id: str, body: Note, request: Request, caller: Caller = _reviewer) -> Response:
    """Add a note to the item's history."""
    return json_response(item_view(services(request).queue.comment(item_id, reviewer_of(caller), body.note)))


@router.get("/export", response_class=Response, summary="Resolved items as steward eval JSONL")
def export(
    request: Request,
    caller: Caller = _reviewer,
    overturned_only: Annotated[bool, Query(alias="overturnedOnly")] = False,
    limit: Annotated[int, Query(ge=1, le=EXPORT_MAX)] = EXPORT_MAX,
) -> Response:
    """One eval row per resolved item with its text kept: text, label, category, source, group.

    The ``x-steward-skipped`` header counts resolved items whose text was no longer kept.
    """
    store = services(request).queue.store
    count = ExportCount()
    rows = itertools.islice(eval_rows(store.resolved_items(), count, overturned_only=overturned_only), limit)
    body = b"".join(orjson.dumps(r) + b"\n" for r in rows)
    return Response(
        body,
        media_type="application/x-ndjson",
        headers={"x-steward-skipped": str(count.without_text)},
    )


_admin = Depends(require_role(Role.ADMIN))
_SuggestionState = Literal["pending", "accepted", "rejected"]


@router.post(
    "/suggestions/generate", response_class=Response, summary="Suggest policy changes from overturns"
)
def generate_suggestions(request: Request, caller: Caller = _admin) -> Response:
    """Scan overturned items and offer suggestions (admins only); re-running adds only what is new.

    Nothing changes a policy here: ``{"offered": n, "skipped": {why: count}}``."""
    return json_response(services(request).suggester.generate().to_dict())


@router.get("/suggestions", response_class=Response, summary="List policy suggestions")
def list_suggestions(
    request: Request,
    caller: Caller = _admin,
    state: Annotated[list[_SuggestionState] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    """Suggestions oldest first, with their values (an example is an end user's text: admins only)."""
    found = services(request).suggester.suggestions.list(states=list(state or []), limit=limit)
    return json_response({"suggestions": [x.to_dict() for x in found]})


@router.post("/suggestions/{suggestion_id}/accept", response_class=Response, summary="Accept a suggestion")
def accept_suggestion(suggestion_id: str, request: Request, caller: Caller = _admin) -> Response:
    """Apply the suggestion to the guardrail's DRAFT (a new DRAFT revision; versions untouched).

    409 when it was decided already or no longer fits the DRAFT (the word is gone, the topic full)."""
    record, info = reviews.accept_suggestion(
        get_state(request), services(request), suggestion_id, caller.key_id
    )
    return json_response(
        {**record.to_dict(), "guardrail": {"id": info.id, "draftRevision": info.draft_revision}}
    )


@router.post("/suggestions/{suggestion_id}/reject", response_class=Response, summary="Reject a suggestion")
def reject_suggestion(suggestion_id: str, request: Request, caller: Caller = _admin) -> Response:
    """Decline the suggestion; the policy is untouched."""
    return json_response(services(request).suggester.reject(suggestion_id, caller.key_id).to_dict())


def voice(request: Request) -> Voice:
    """The app's end-user voice (feedback and appeals)."""
    return services(request).voice


def handoff_requested(request: Request, chat: ChatRequest, binding: GuardBinding) -> HandoffAsk | None:
    """Whether (and why) the request asks for a person: the ``x-steward-handoff`` header, the
    body's ``steward_handoff`` field, or one of the policy's ``review.handoff_phrases`` in the
    user's last message. A bad header or field value is an :class:`InputError` naming it."""
    users = [t.text for t in chat.texts if t.role == "user"]
    return handoff_ask(
        header=request.headers.get(HANDOFF_HEADER),
        body=chat.body,
        last_user_text=users[-1] if users else None,
        phrases=binding.guard.policy.review.handoff_phrases,
    )


def without_handoff(chat: ChatRequest) -> ChatRequest:
    """``chat`` without the body's ``steward_handoff`` field, as the upstream model must get it."""
    body = without_handoff_field(chat.body)
    return chat if body is chat.body else replace(chat, body=body)


async def handoff_answer(
    request: Request, caller: Caller, chat: ChatRequest, binding: GuardBinding, ask: HandoffAsk
) -> Response:
    """Answer a proxy request that asked for a person: the model is not called; a hand-off
    item (its own reason and SLA) holds the user's last message, sealed, for a reviewer."""
    message = get_state(request).settings.handoff_message  # STEWARD_HANDOFF_MESSAGE
    request_id: str = request.state.request_id
    users = [t.text for t in chat.texts if t.role == "user"]
    built = services(request)
    item = built.queue.new_item(
        Reason.HANDOFF,
        request_id=request_id,
        guardrail_id=binding.guardrail_id,
        version=binding.version,
        source="input",
        action="NONE",
        findings=[ask.finding()],
        text=users[-1] if users else None,
        actor=caller.key_id,
    )
    await built.writer.put(item)
    item_id = item.id
    extra = {
        "steward": {"handoff": {"reviewItem": item_id, "requestId": request_id, "trigger": ask.trigger.value}}
    }
    if not chat.stream:
        return json_response(
            oai.completion(model=chat.model, content=message, finish_reason="stop", extra=extra)
        )
    events = [
        oai.sse(oai.chunk(completion_id=None, model=chat.model, delta={"role": "assistant", "content": ""})),
        oai.sse(
            oai.chunk(
                completion_id=None,
                model=chat.model,
                delta={"content": message},
                finish_reason="stop",
                extra=extra,
            )
        ),
        oai.DONE,
    ]
    return Response(b"".join(events), media_type="text/event-stream")
