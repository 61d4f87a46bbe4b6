"""The audit trail over HTTP: search (newest first, paged) and export (JSONL or CSV).

Readable with ``reviewer``, ``auditor`` and ``admin`` keys.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError
from starlette.concurrency import iterate_in_threadpool
from starlette.responses import Response, StreamingResponse

from steward.app import audit as use
from steward.app.audit import MAX_PAGE, AuditQuery
from steward.server.auth import Caller, Role, require_role
from steward.server.bounds import INT64_MAX
from steward.server.responses import json_response
from steward.server.state import get_state

__all__ = ["router"]

router = APIRouter(prefix="/v1/audit", tags=["audit"])

_reader = Depends(require_role(Role.REVIEWER, Role.AUDITOR))


def _iso_8601(value: object) -> object:
    # pydantic also reads a bare number as Unix time; the schema (and the docs) promise ISO 8601.
    if isinstance(value, str) and not _ISO_DATE.match(value):
        raise PydanticCustomError(
            "iso_8601", "must be an ISO 8601 date or date-time, such as 2026-11-01T09:30:00Z"
        )
    return value


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: The policy filter's values: the short names, or the policy section names findings carry.
PolicyName = Literal[
    "content",
    "topic",
    "word",
    "pii",
    "grounding",
    "contentPolicy",
    "topicPolicy",
    "wordPolicy",
    "sensitiveInformationPolicy",
    "contextualGroundingPolicy",
]
#: A time in a query: ISO 8601 only.
Timestamp = Annotated[datetime, BeforeValidator(_iso_8601)]


def _query(
    since: Annotated[Timestamp | None, Query(description="ISO 8601; naive times are UTC")] = None,
    until: Annotated[Timestamp | None, Query(description="ISO 8601; naive times are UTC")] = None,
    guardrail: Annotated[str | None, Query(max_length=64)] = None,
    version: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[Literal["NONE", "GUARDRAIL_INTERVENED"] | None, Query()] = None,
    source: Annotated[Literal["input", "output", "INPUT", "OUTPUT"] | None, Query()] = None,
    type: Annotated[str | None, Query(max_length=100, description="a finding type, e.g. EMAIL")] = None,
    policy: Annotated[
        PolicyName | None,
        Query(description="records with a finding of this policy: content, topic, word, pii or grounding"),
    ] = None,
    endpoint: Annotated[str | None, Query(max_length=32)] = None,
    caller: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    before: Annotated[
        int | None, Query(ge=1, le=INT64_MAX, description="cursor: the 'next' value of the previous page")
    ] = None,
) -> AuditQuery:
    return AuditQuery(
        since=since,
        until=until,
        guardrail_id=guardrail,
        version=version,
        action=action,
        source=source,
        finding_type=type,
        policy=policy,
        endpoint=endpoint,
        caller_key_id=caller,
        limit=limit,
        before_id=before,
    )


_filters = Depends(_query)


@router.get("", response_class=Response, summary="Search audit records")
def search_audit(request: Request, query: AuditQuery = _filters, who: Caller = _reader) -> Response:
    """Matching records, newest first; pass ``next`` as ``before`` for the following page."""
    return json_response(use.search(get_state(request), query))


@router.get("/export", response_class=Response, summary="Export audit records as JSONL or CSV")
def export_audit(
    request: Request,
    format: Annotated[Literal["jsonl", "csv"], Query()] = "jsonl",
    query: AuditQuery = _filters,
    who: Caller = _reader,
) -> Response:
    """Every matching record, oldest first, streamed."""
    lines = use.export(get_state(request), query, fmt=format)
    media = "text/csv" if format == "csv" else "application/x-ndjson"
    return StreamingResponse(
        iterate_in_threadpool(lines),
        media_type=media,
        headers={"content-disposition": f'attachment; filename="steward-audit.{format}"'},
    )


_auditor = Depends(require_role(Role.AUDITOR))


@router.get("/verify", response_class=Response, summary="Check the audit trail for tampering")
def verify_audit(request: Request, who: Caller = _auditor) -> Response:
    """Recompute every record's HMAC and follow every writer's chain; lists what is changed or missing."""
    return json_response(use.verify(get_state(request)).to_dict())
