"""``POST /v1/check``: check a text against a policy given in the request, nothing stored.

For trying a policy before saving it, and for callers that keep policies themselves. The
answer is Steward's own form: the decision, continuous scores per category, and every
finding with offsets (matched text masked). Policies are compiled once and cached by
content, so repeating the same policy costs no rebuild.
"""

from __future__ import annotations

import hashlib
import time
from typing import Literal

import orjson
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from steward.audit.record import AuditRecord
from steward.cache import LruCache
from steward.errors import InputError
from steward.guard import Guard
from steward.policy import limits, load_pack, parse_policy
from steward.server.auth import Caller, Role, require_role
from steward.server.offload import run_guard
from steward.server.packs import POLICY_OR_PACK, PackName, PolicyDocument
from steward.server.responses import json_response
from steward.server.state import get_state

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["check"])

_app_role = Depends(require_role(Role.APP))
_CACHE_MAX = 32
#: Built guards by policy content (or pack name), least recently used dropped.
_cache: LruCache[str, Guard] = LruCache(_CACHE_MAX)


class CheckRequest(BaseModel):
    """A text and the policy (a document, or a pack name) to check it with."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=POLICY_OR_PACK)

    text: str = Field(max_length=limits.TEXT_MAX_CHARS)
    source: Literal["input", "output", "INPUT", "OUTPUT"] = "input"
    policy: PolicyDocument | None = None
    pack: PackName | None = None
    grounding_source: str | None = Field(default=None, max_length=limits.TEXT_MAX_CHARS)
    query: str | None = Field(default=None, max_length=limits.TEXT_MAX_CHARS)
    full: bool = Field(
        default=False, strict=True, description="run every detector even after a block (all scores)"
    )


def _guard_for(body: CheckRequest) -> Guard:
    if (body.policy is None) == (body.pack is None):
        raise InputError("give exactly one of 'policy' (a document) or 'pack' (a pack name)", field="policy")
    if body.pack is not None:
        key = "pack:" + body.pack
    else:
        key = hashlib.sha256(orjson.dumps(body.policy, option=orjson.OPT_SORT_KEYS)).hexdigest()
    guard = _cache.get(key)
    if guard is not None:
        return guard
    policy = load_pack(body.pack) if body.pack is not None else parse_policy(body.policy, origin="policy")
    guard = Guard(policy)
    _cache.put(key, guard)
    return guard


@router.post("/check", response_class=Response, summary="Check a text against an inline policy")
async def check(body: CheckRequest, request: Request, caller: Caller = _app_role) -> Response:
    """The decision, scores and findings (with offsets) for one text."""
    started = time.perf_counter()
    guard = _guard_for(body)
    assessment = await run_guard(
        len(body.text) + len(body.grounding_source or "") + len(body.query or ""),
        lambda: guard.apply(
            body.text,
            body.source,
            grounding_source=body.grounding_source,
            query=body.query,
            output_scope="FULL" if body.full else "INTERVENTIONS",
        ),
    )
    request_id: str = request.state.request_id
    get_state(request).audit.submit(
        AuditRecord.from_assessment(
            assessment,
            guardrail_id=None,
            version=None,
            caller=caller.key_id,
            request_id=request_id,
            endpoint="check",
            keep_matched_text=guard.policy.audit.keep_matched_text,
            latency_ms=(time.perf_counter() - started) * 1000,
        )
    )
    return json_response({**assessment.to_dict(), "requestId": request_id})
