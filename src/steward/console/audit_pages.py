"""Audit pages: search with cursor pagination, one record's detail, and CSV/JSONL export.

The filters build the same :class:`~steward.audit.search.AuditQuery` that ``/v1/audit``
builds, and pages come from the same :func:`~steward.audit.search.search` (newest first;
"older" follows the ``next`` cursor). Export streams :func:`~steward.audit.search.export`,
so a browser session can download what an API key could.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from steward.audit.search import AuditQuery, export, search
from steward.console.permissions import Action
from steward.console.web import SECURITY_HEADERS, page, render, signed_in, state_of
from steward.errors import InputError, NotFoundError

__all__ = ["FILTERS", "POLICY_LABELS", "query_from", "router"]

router = APIRouter()

#: Filter fields of the search form and their longest accepted value.
FILTERS = {
    "guardrail": 64,
    "version": 64,
    "action": 32,
    "source": 16,
    "type": 100,
    "policy": 32,
    "since": 40,
    "until": 40,
    "request": 64,
}
#: The policy filter's choices (the values ``/v1/audit?policy=`` takes) and what the form calls them.
POLICY_LABELS = {
    "content": "content filters and prompt attacks",
    "topic": "denied topics",
    "word": "word filters",
    "pii": "personal data (PII types and regexes)",
    "grounding": "grounding and relevance",
}
_PAGE = 50
_INT64_MAX = 2**63 - 1


def _time(value: str, field: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise InputError("must be a date or date-time such as 2026-11-01T09:30", field=field) from None


def _cursor(value: str, field: str = "before") -> int | None:
    if not value:
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 19 or not 1 <= int(value) <= _INT64_MAX:
        message = (
            "must be the 'next' cursor of a previous page" if field == "before" else "must be a record number"
        )
        raise InputError(message, field=field)
    return int(value)


def query_from(params: dict[str, str], *, limit: int = _PAGE) -> AuditQuery:
    """The audit query of the search form's fields; bad values raise :class:`InputError` naming the field."""
    for name, longest in FILTERS.items():
        if len(params.get(name, "")) > longest:
            raise InputError(f"must be at most {longest} characters", field=name)
    action = params.get("action", "")
    if action not in ("", "NONE", "GUARDRAIL_INTERVENED"):
        raise InputError("must be NONE or GUARDRAIL_INTERVENED", field="action")
    source = params.get("source", "")
    if source not in ("", "input", "output"):
        raise InputError("must be input or output", field="source")
    policy = params.get("policy", "")
    if policy not in ("", *POLICY_LABELS):
        raise InputError(f"must be one of {', '.join(POLICY_LABELS)}", field="policy")
    return AuditQuery(
        since=_time(params.get("since", ""), "since"),
        until=_time(params.get("until", ""), "until"),
        guardrail_id=params.get("guardrail") or None,
        version=params.get("version") or None,
        action=action or None,
        source=source or None,
        finding_type=params.get("type") or None,
        policy=policy or None,
        request_id=params.get("request") or None,
        limit=limit,
        before_id=_cursor(params.get("before", "")),
    )


def _filters(request: Request) -> dict[str, str]:
    return {name: request.query_params.get(name, "").strip() for name in (*FILTERS, "before")}


@router.get("/audit", include_in_schema=False)
@page
async def audit_search(request: Request) -> Response:
    """A page of matching records, newest first, and a link to the next (older) page."""
    session = await signed_in(request, Action.AUDIT)
    params = _filters(request)
    query = query_from(params)
    result: dict[str, Any] = await run_in_threadpool(search, state_of(request).sessions, query)
    kept = {k: v for k, v in params.items() if v and k != "before"}
    older = urlencode({**kept, "before": result["next"]}) if result["next"] is not None else None
    return render(
        request,
        "audit.html",
        session=session,
        active="audit",
        params=params,
        records=result["records"],
        policies=POLICY_LABELS,
        older=older,
        export_csv=urlencode({**kept, "format": "csv"}),
        export_jsonl=urlencode({**kept, "format": "jsonl"}),
    )


@router.get("/audit/export", include_in_schema=False)
@page
async def audit_export(request: Request) -> Response:
    """Every matching record, oldest first, as a CSV or JSONL download."""
    await signed_in(request, Action.AUDIT)
    fmt = request.query_params.get("format", "csv")
    if fmt not in ("csv", "jsonl"):
        raise InputError("must be csv or jsonl", field="format")
    query = query_from({**_filters(request), "before": ""}, limit=1)
    lines = export(state_of(request).sessions, query, fmt=fmt)
    return StreamingResponse(
        iterate_in_threadpool(lines),
        media_type="text/csv" if fmt == "csv" else "application/x-ndjson",
        headers={**SECURITY_HEADERS, "content-disposition": f'attachment; filename="steward-audit.{fmt}"'},
    )


@router.get("/audit/{record_id}", include_in_schema=False)
@page
async def audit_record(request: Request, record_id: str) -> Response:
    """One record: the decision, its findings (matched text masked) and where it came from."""
    session = await signed_in(request, Action.AUDIT)
    number = _cursor(record_id or "0", "record")
    assert number is not None  # an empty path segment never reaches this route
    found = await run_in_threadpool(
        search,
        state_of(request).sessions,
        AuditQuery(before_id=number + 1 if number < _INT64_MAX else None, limit=1),
    )
    records = [r for r in found["records"] if r["id"] == number]
    if not records:
        raise NotFoundError("audit record", record_id)
    return render(request, "record.html", session=session, active="audit", record=records[0])
