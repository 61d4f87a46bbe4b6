"""``POST /guardrail/{guardrailIdentifier}/version/{guardrailVersion}/apply``: Bedrock's ApplyGuardrail.

Request and response bodies are exactly Bedrock's, so boto3's ``apply_guardrail`` works
against Steward unchanged; Steward's extras (offsets, scores, trace, request id) ride
under the ``steward`` key. ``guardrailVersion`` may be a number, ``DRAFT``, ``latest`` or an
alias name; ``guardrailIdentifier`` may be an id or a Bedrock-style ARN.
"""

from __future__ import annotations

import time

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from steward.app.guardrails import guardrail_id_from_identifier
from steward.audit.record import AuditRecord
from steward.server.auth import Caller, Role, require_role
from steward.server.bedrock import (
    ApplyGuardrailRequest,
    ApplyGuardrailResponse,
    bedrock_response,
    guard_input,
)
from steward.server.offload import run_guard
from steward.server.params import GuardrailIdentifier, VersionRef
from steward.server.responses import json_response
from steward.server.routers.review import route_to_review
from steward.server.state import get_state

__all__ = ["ENDPOINT", "router"]

ENDPOINT = "apply"

router = APIRouter(tags=["bedrock"])

_app_role = Depends(require_role(Role.APP))


@router.post(
    # ":path" lets a Bedrock ARN (with "/", sent as %2F by boto3) be the identifier.
    "/guardrail/{guardrailIdentifier:path}/version/{guardrailVersion}/apply",
    operation_id="ApplyGuardrail",
    summary="Apply a guardrail version to content (Amazon Bedrock ApplyGuardrail)",
    response_class=Response,
    responses={
        200: {
            "model": ApplyGuardrailResponse,
            "description": "Bedrock's ApplyGuardrail response, plus Steward's extras under `steward`",
        }
    },
)
async def apply_guardrail(
    guardrailIdentifier: GuardrailIdentifier,  # noqa: N803 (Bedrock's name)
    guardrailVersion: VersionRef,  # noqa: N803
    body: ApplyGuardrailRequest,
    request: Request,
    caller: Caller = _app_role,
) -> Response:
    """Check the content blocks with the guardrail version and return Bedrock's answer."""
    started = time.perf_counter()
    state = get_state(request)
    resolved = state.guards.get(guardrail_id_from_identifier(guardrailIdentifier), guardrailVersion)
    checked = guard_input(body.content)
    assessment = await run_guard(
        checked.total_chars,
        lambda: resolved.guard.apply(
            checked.text,
            body.source,
            grounding_source=checked.grounding_source,
            query=checked.query,
            output_scope=body.outputScope,
        ),
    )
    request_id: str = request.state.request_id
    out = bedrock_response(
        assessment,
        output_scope=body.outputScope,
        request_id=request_id,
        guarded_chars=len(checked.text),
        total_chars=checked.total_chars,
        guardrail_id=resolved.guardrail_id,
        version=resolved.version,
    )
    state.audit.submit(
        AuditRecord.from_assessment(
            assessment,
            guardrail_id=resolved.guardrail_id,
            version=resolved.version,
            caller=caller.key_id,
            request_id=request_id,
            endpoint=ENDPOINT,
            keep_matched_text=resolved.keep_matched_text,
            latency_ms=(time.perf_counter() - started) * 1000,
        )
    )
    await route_to_review(  # queues it for a person when the policy asks; never fails the request
        request,
        assessment,
        checked.text,
        resolved.policy,
        guardrail_id=resolved.guardrail_id,
        version=resolved.version,
        caller=caller,
    )
    return json_response(out)
