"""The playground: paste a text, pick a guardrail version, see what the guard decides and why.

The guard comes from the server's own :class:`~steward.server.guards.GuardCache` — the very
guard ``ApplyGuardrail`` runs for that version — so the answer is the API's answer. It is a
dry run: nothing is written to the audit trail or the review queue, so trying texts out
does not distort monitoring.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from steward.assessment import Assessment
from steward.console.highlight import pieces
from steward.console.permissions import Action
from steward.console.sessions import ConsoleSession
from steward.console.web import guardrail_ids, page, read_form, render, signed_in, state_of
from steward.errors import InputError, InputTooLargeError
from steward.policy import limits
from steward.store.idents import check_guardrail_id

__all__ = ["router"]

router = APIRouter()

_SOURCES = ("input", "output")


async def _page(
    request: Request, session: ConsoleSession, form: dict[str, str], result: Assessment | None
) -> Response:
    return render(
        request,
        "playground.html",
        session=session,
        active="playground",
        guardrails=await guardrail_ids(request),
        form=form,
        result=result,
        pieces=pieces(form.get("text", ""), result.findings) if result is not None else [],
    )


@router.get("/playground", include_in_schema=False)
@page
async def playground_form(request: Request) -> Response:
    """The empty form."""
    session = await signed_in(request, Action.PLAYGROUND)
    return await _page(request, session, {"version": "latest", "source": "input"}, None)


@router.post("/playground", include_in_schema=False)
@page
async def playground_run(request: Request) -> Response:
    """Run the chosen guardrail version over the text and show the decision and findings."""
    session = await signed_in(request, Action.PLAYGROUND)
    form = await read_form(request, session)
    guardrail_id = check_guardrail_id(form.get("guardrail", "").strip(), field="guardrail")
    version = form.get("version", "").strip() or "latest"
    if len(version) > 64:
        raise InputError("must be at most 64 characters", field="version")
    source = form.get("source", "input")
    if source not in _SOURCES:
        raise InputError("must be 'input' or 'output'", field="source")
    text = form.get("text", "").replace("\r\n", "\n")
    if not text.strip():
        raise InputError("is empty: paste the text to check", field="text")
    for name in ("text", "query", "grounding"):
        if len(form.get(name, "")) > limits.TEXT_MAX_CHARS:
            raise InputTooLargeError(field=name, size=len(form[name]), limit=limits.TEXT_MAX_CHARS)
    form["text"] = text
    resolved = await run_in_threadpool(state_of(request).guards.get, guardrail_id, version)
    assessment = await run_in_threadpool(
        lambda: resolved.guard.apply(
            text,
            source,
            grounding_source=form.get("grounding") or None,
            query=form.get("query") or None,
            output_scope="FULL",
        )
    )
    form["resolved"] = f"{resolved.guardrail_id}:{resolved.version}"
    return await _page(request, session, form, assessment)
