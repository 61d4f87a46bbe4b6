"""Editing a guardrail's DRAFT as YAML (admin), with live validation pointing at the field.

The form posts the YAML; the save goes through the same validation and the same use case,
:func:`steward.app.guardrails.update`, as ``PUT /v1/guardrails/{id}`` (which also drops this
process's cached guards of it). While the admin types, ``console.js``
posts the text to ``/draft/check`` — a dry run that stores nothing — and lists each problem
with its field path and line (:mod:`steward.console.draft_check`). Without the script the
save answers the same list (400) with the text kept, so nothing typed is lost.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from steward.app import guardrails
from steward.console.draft_check import Problem, check_draft
from steward.console.permissions import Action
from steward.console.sessions import ConsoleSession
from steward.console.web import PREFIX, SECURITY_HEADERS, page, read_form, render, signed_in, state_of
from steward.policy import Policy, dump_policy, parse_policy
from steward.store.idents import check_guardrail_id

__all__ = ["router"]

router = APIRouter()


def _form(
    request: Request,
    session: ConsoleSession,
    guardrail_id: str,
    text: str,
    revision: int,
    problems: list[Problem],
    *,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "draft.html",
        session=session,
        active="guardrails",
        guardrail_id=guardrail_id,
        text=text,
        revision=revision,
        problems=problems,
        status_code=status_code,
    )


@router.get("/guardrails/{guardrail_id}/draft", include_in_schema=False)
@page
async def draft_form(request: Request, guardrail_id: str) -> Response:
    """The DRAFT policy as YAML in an editor."""
    session = await signed_in(request, Action.EDIT_DRAFT)
    check_guardrail_id(guardrail_id, field="guardrail")
    info = await run_in_threadpool(state_of(request).guardrails.get, guardrail_id)
    text = dump_policy(parse_policy(info.policy, origin="stored DRAFT"))
    return _form(request, session, guardrail_id, text, info.draft_revision, [])


async def _posted(
    request: Request, guardrail_id: str
) -> tuple[ConsoleSession, str, Policy | None, list[Problem]]:
    """The signed-in admin, the posted YAML, and the policy it makes or every problem it has."""
    session = await signed_in(request, Action.EDIT_DRAFT)
    check_guardrail_id(guardrail_id, field="guardrail")
    text = (await read_form(request, session)).get("policy", "")
    policy, problems = await run_in_threadpool(check_draft, text)
    return session, text, policy, problems


@router.post("/guardrails/{guardrail_id}/draft/check", include_in_schema=False)
@page
async def draft_check(request: Request, guardrail_id: str) -> Response:
    """Validate the posted YAML without storing it: ``{"valid", "problems": [{field, message, line}]}``."""
    _, _, _, problems = await _posted(request, guardrail_id)
    return JSONResponse(
        {"valid": not problems, "problems": [p.to_dict() for p in problems]}, headers=SECURITY_HEADERS
    )


@router.post("/guardrails/{guardrail_id}/draft", include_in_schema=False)
@page
async def draft_save(request: Request, guardrail_id: str) -> Response:
    """Store the YAML as the DRAFT (dropping this process's built guards of it, as the API does),
    or show the form again with every problem (400)."""
    session, text, policy, problems = await _posted(request, guardrail_id)
    state = state_of(request)
    if policy is None:
        info = await run_in_threadpool(state.guardrails.get, guardrail_id)
        return _form(request, session, guardrail_id, text, info.draft_revision, problems, status_code=400)
    info = await run_in_threadpool(lambda: guardrails.update(state, guardrail_id, policy=policy))
    note = quote(f"DRAFT saved (revision {info.draft_revision})")
    return RedirectResponse(f"{PREFIX}/guardrails/{guardrail_id}?moved={note}", status_code=303)
