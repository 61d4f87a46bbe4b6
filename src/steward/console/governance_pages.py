"""Governance pages: the systems and their status, and one system's heat map, controls,
evidence, release-gate history and cards (rendered, and to download).

Reads go through :class:`~steward.govern.repository.GovernanceStore` and the same govern
functions ``/v1/governance`` answers with: :func:`~steward.govern.heatmap.heatmap_table`,
:func:`~steward.govern.controls.control_coverage`, the recorded gate decisions, and
:func:`~steward.govern.cards.all_cards` rendered by :func:`~steward.govern.documents.render`
for downloads (Markdown, HTML, JSON) — so the console and the API never disagree.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from steward.console.permissions import Action
from steward.console.web import SECURITY_HEADERS, Listing, list_page, page, render, signed_in, state_of
from steward.errors import InputError
from steward.govern.cards import all_cards, card_problems, collect_card_inputs
from steward.govern.controls import ControlState, ControlStatus, control_coverage
from steward.govern.documents import FORMATS, MEDIA_TYPES, Document
from steward.govern.documents import render as render_document
from steward.govern.heatmap import heatmap_table
from steward.govern.inventory import ID_PATTERN
from steward.govern.repository import GovernanceStore, Page

__all__ = ["coverage_by_framework", "router"]

router = APIRouter()

#: Rows per page: systems, and a system's evidence and gate decisions.
PAGE = 50
_MAX_CARD = 200
_SYSTEM_ID = re.compile(ID_PATTERN)
#: What a download's file name keeps of a card's name (the rest becomes '_').
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def _store(request: Request) -> GovernanceStore:
    return GovernanceStore(state_of(request).sessions)


def _system_id(value: str) -> str:
    if not _SYSTEM_ID.fullmatch(value):
        raise InputError("must be 1-64 lower-case letters, digits, '.', '-' or '_'", field="system")
    return value


def _newest(fetch: Callable[..., Page[Any]], system_id: str, cursor: str | None) -> Page[Any]:
    """A page of one of a system's lists (evidence, gate decisions), newest first."""
    return fetch(system_id, after=cursor, limit=PAGE, newest_first=True)


def coverage_by_framework(coverage: list[ControlStatus]) -> list[dict[str, Any]]:
    """Per framework (the catalogue before ``:`` in a control's reference): counts and the gaps."""
    frameworks: dict[str, list[ControlStatus]] = defaultdict(list)
    for status in coverage:
        frameworks[status.ref.partition(":")[0]].append(status)
    out = []
    for name, statuses in sorted(frameworks.items()):
        counts = {state.value: sum(s.state is state for s in statuses) for state in ControlState}
        applicable = counts[ControlState.MET.value] + counts[ControlState.GAP.value]
        out.append(
            {
                "framework": name,
                "counts": counts,
                "share": counts[ControlState.MET.value] / applicable if applicable else None,
                "gaps": [s for s in statuses if s.state is ControlState.GAP],
                "met": [s for s in statuses if s.state is ControlState.MET],
            }
        )
    return out


@router.get("/governance", include_in_schema=False)
@page
async def systems(request: Request, after: str = "") -> Response:
    """The AI systems in the register with their status, by id, :data:`PAGE` at a time."""
    session = await signed_in(request, Action.GOVERNANCE)
    store = _store(request)
    found = await list_page(
        lambda cursor: store.systems_page(after=cursor, limit=PAGE),
        path="/governance",
        field="after",
        cursor=after,
    )
    return render(request, "governance.html", session=session, active="governance", systems=found)


@router.get("/governance/{system_id}", include_in_schema=False)
@page
async def system(
    request: Request, system_id: str, residual: str = "", evidence_after: str = "", gates_after: str = ""
) -> Response:
    """One system: status, heat map, control coverage, its evidence and gate history (newest
    first, :data:`PAGE` at a time, each list with its own cursor) and its cards."""
    session = await signed_in(request, Action.GOVERNANCE)
    system_id = _system_id(system_id)
    store = _store(request)
    now = datetime.now(UTC)
    lists: dict[str, Listing[Any]] = {}
    for name, field, fetch, cursor in (
        ("evidence", "evidence_after", store.evidence_page, evidence_after),
        ("decisions", "gates_after", store.decisions_page, gates_after),
    ):
        lists[name] = await list_page(
            partial(_newest, fetch, system_id),
            path=f"/governance/{system_id}",
            field=field,
            cursor=cursor,
            kept={"residual": "1" if residual else ""},
        )

    def gather() -> dict[str, Any]:
        found = store.get_system(system_id)  # NotFoundError: a 404 page
        risks = store.list_risks(system_id)
        evidence = store.list_evidence(system_id)
        coverage = control_coverage(
            found, risks=risks, evidence=evidence, datasheets=store.datasheets_for(found), today=now.date()
        )
        inputs = collect_card_inputs(store, system_id, now=now)
        return {
            "system": found,
            "risks": risks,
            "heatmap": heatmap_table(risks, residual=bool(residual)),
            "frameworks": coverage_by_framework(coverage),
            "cards": sorted(all_cards(inputs)),
            "problems": card_problems(inputs),
        }

    data = await run_in_threadpool(gather)
    return render(
        request,
        "system.html",
        session=session,
        active="governance",
        residual=bool(residual),
        formats=FORMATS,
        evidence=lists["evidence"],
        decisions=lists["decisions"],
        **data,
    )


async def _card(request: Request, system_id: str, name: str) -> Document:
    system_id = _system_id(system_id)
    if not name or len(name) > _MAX_CARD:
        raise InputError(f"must be a card name of 1-{_MAX_CARD} characters", field="card")
    store = _store(request)
    docs = await run_in_threadpool(
        lambda: all_cards(collect_card_inputs(store, system_id, now=datetime.now(UTC)))
    )
    if name not in docs:
        raise InputError(f"is not one of {sorted(docs)}", field="card")
    return docs[name]


@router.get("/governance/{system_id}/cards/{name}", include_in_schema=False)
@page
async def card(request: Request, system_id: str, name: str) -> Response:
    """A card rendered in the console, with links to download it."""
    session = await signed_in(request, Action.GOVERNANCE)
    doc = await _card(request, system_id, name)
    return render(
        request,
        "card.html",
        session=session,
        active="governance",
        doc=doc,
        system_id=system_id,
        name=name,
        formats=FORMATS,
    )


@router.get("/governance/{system_id}/cards/{name}/download", include_in_schema=False)
@page
async def card_download(request: Request, system_id: str, name: str, format: str = "md") -> Response:
    """The card as a file: Markdown, HTML or JSON, exactly as ``/v1/governance`` renders it."""
    await signed_in(request, Action.GOVERNANCE)
    if format not in FORMATS:
        raise InputError(f"must be one of {', '.join(FORMATS)}", field="format")
    doc = await _card(request, system_id, name)
    headers = {
        **SECURITY_HEADERS,
        "content-disposition": f'attachment; filename="{_UNSAFE.sub("_", name)}.{format}"',
    }
    return Response(render_document(doc, format), media_type=MEDIA_TYPES[format], headers=headers)
