"""Governance API under ``/v1/governance``: inventory, risks, evidence, gates, controls, cards, register.

Writes need an ``admin`` key; reads also admit ``reviewer`` and ``auditor`` keys. Lists
(systems, risks, evidence, gate decisions, datasheets) come a page at a time: ``next`` is the
following page's cursor, passed back as ``after``. A status
change runs the release gate: a refusal answers 409 with the gate's decision (what is
missing), and the status stays as it was. Documents are validated with the same models as
the CLI, so a bad field is named the same way (400 ``ValidationException``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from steward.app import governance
from steward.errors import InputError
from steward.govern._validation import parse_model
from steward.govern.cards import all_cards, card_problems, collect_card_inputs
from steward.govern.controls import resolve_control
from steward.govern.datasheet import Datasheet
from steward.govern.documents import MEDIA_TYPES, render
from steward.govern.heatmap import heat_grid, heatmap_text
from steward.govern.inventory import AISystem, Lifecycle
from steward.govern.register import Register, dump_register, parse_register, to_document
from steward.govern.report import risk_report
from steward.govern.repository import GovernanceStore, Page
from steward.govern.requirements import EvidenceKind
from steward.govern.risk import Risk
from steward.server.auth import Caller, Role, require_role
from steward.server.bounds import JsonObject, json_problem
from steward.server.errors import error_response
from steward.server.params import PageAfter, PageLimit
from steward.server.responses import json_response
from steward.server.state import get_state

__all__ = ["router"]

router = APIRouter(prefix="/v1/governance", tags=["governance"])

_admin = Depends(require_role(Role.ADMIN))
_reader = Depends(require_role(Role.AUDITOR, Role.REVIEWER))
Format = Annotated[str, Query(pattern="^(md|html|json)$")]


def _body_of(
    model: type[BaseModel], *, optional: tuple[str, ...] = (), media: tuple[str, ...] = ("application/json",)
) -> dict[str, Any]:
    """The request body a route parses itself (with :func:`parse_model`), for the OpenAPI description.

    ``optional`` drops fields the route fills in (a risk's ``system_id`` comes from the path).
    The model's ``$defs`` are hoisted into the components by :mod:`steward.server.openapi`.
    """
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    schema["required"] = [name for name in schema.get("required", []) if name not in optional]
    return {"requestBody": {"required": True, "content": {kind: {"schema": schema} for kind in media}}}


#: What a document route answers, by ``format``: the OpenAPI description lists each media type.
_DOCUMENT: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the document as Markdown (`format=md`, the default), HTML or JSON",
        "content": {
            "text/markdown": {"schema": {"type": "string"}},
            "text/html": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "object"}},
        },
    }
}


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StatusBody(_Body):
    """The status to move to."""

    status: Lifecycle


class EvidenceBody(_Body):
    """Metrics to record: the JSON ``steward eval --json`` prints, or any metrics object."""

    kind: EvidenceKind = EvidenceKind.EVALUATION
    name: str = Field(min_length=1, max_length=200)
    subject: str = Field(min_length=1, max_length=200)
    subject_version: str = Field(min_length=1, max_length=200)
    metrics: JsonObject
    controls: list[str] = Field(default_factory=list, max_length=100)
    inputs: dict[str, str] = Field(default_factory=dict, max_length=100)


class AttestationBody(_Body):
    """A person's attestation or review outcome."""

    name: str = Field(min_length=1, max_length=200)
    statement: str = Field(min_length=1, max_length=4000)
    kind: EvidenceKind = EvidenceKind.ATTESTATION
    passed: bool = True
    controls: list[str] = Field(default_factory=list, max_length=100)


def _store(request: Request) -> GovernanceStore:
    return get_state(request).governance


def _actor(caller: Caller) -> str:
    return f"key:{caller.key_id}"


def _dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", exclude_none=True)


def _controls(refs: list[str]) -> list[str]:
    for ref in refs:
        resolve_control(ref)
    return refs


# -- systems -------------------------------------------------------------------------------


def _page(name: str, found: Page[Any], dump: Callable[[Any], dict[str, Any]] = _dump) -> Response:
    """One page of a list as ``{name: [...], "next": cursor}``."""
    return json_response({name: [dump(item) for item in found.items], "next": found.next})


@router.get("/systems", dependencies=[_reader])
def list_systems(request: Request, after: PageAfter = None, limit: PageLimit = 100) -> Response:
    """The inventory, by id, a page at a time."""
    return _page("systems", _store(request).systems_page(after=after, limit=limit))


@router.post("/systems", dependencies=[_admin], openapi_extra=_body_of(AISystem))
def add_system(request: Request, body: JsonObject) -> Response:
    """Register a system (it starts before deployment)."""
    system = parse_model(AISystem, body, origin="system")
    return json_response(_dump(_store(request).add_system(system)), status_code=201)


@router.get("/systems/{system_id}", dependencies=[_reader])
def get_system(request: Request, system_id: str) -> Response:
    """One system."""
    return json_response(_dump(_store(request).get_system(system_id)))


@router.put("/systems/{system_id}", dependencies=[_admin], openapi_extra=_body_of(AISystem))
def replace_system(request: Request, system_id: str, body: JsonObject) -> Response:
    """Update a system's record; its status changes only through ``/status``."""
    system = parse_model(AISystem, body, origin="system")
    if system.id != system_id:
        raise InputError(f"is {system.id!r} but the URL names {system_id!r}", field="id")
    return json_response(_dump(_store(request).add_system(system, replace=True)))


@router.post("/systems/{system_id}/status")
def change_status(
    request: Request, system_id: str, body: StatusBody, caller: Annotated[Caller, _admin]
) -> Response:
    """Move a system; deployment and operation pass the release gate (409 with what is missing if refused)."""
    decision = _store(request).change_status(system_id, body.status, actor=_actor(caller))
    if not decision.allowed:
        message = "the release gate refused: " + "; ".join(decision.missing)
        return error_response(409, "ConflictException", message, extra={"decision": decision.to_dict()})
    return json_response(decision.to_dict())


@router.get("/systems/{system_id}/gate", dependencies=[_reader])
def check_gate(request: Request, system_id: str, to: Lifecycle = Lifecycle.DEPLOYMENT) -> Response:
    """What the release gate would decide now; changes and records nothing."""
    return json_response(_store(request).check_gate(system_id, to).to_dict())


@router.get("/systems/{system_id}/decisions", dependencies=[_reader])
def decisions(request: Request, system_id: str, after: PageAfter = None, limit: PageLimit = 100) -> Response:
    """Recorded gate decisions, oldest first, a page at a time."""
    return _page("decisions", _store(request).decisions_page(system_id, after=after, limit=limit))


@router.get("/systems/{system_id}/controls", dependencies=[_reader])
def controls(request: Request, system_id: str) -> Response:
    """Which controls apply, which are met and by what evidence, and the gaps."""
    coverage = governance.controls(_store(request), system_id)
    return json_response({"controls": [c.to_dict() for c in coverage]})


# -- risks ---------------------------------------------------------------------------------


def _risk_dict(risk: Risk) -> dict[str, Any]:
    return {
        **_dump(risk),
        "inherent_score": risk.inherent_score,
        "inherent_rating": risk.inherent_rating.value,
        "residual_score": risk.residual_score,
        "residual_rating": risk.residual_rating.value if risk.residual_rating else None,
    }


@router.get("/systems/{system_id}/risks", dependencies=[_reader])
def list_risks(request: Request, system_id: str, after: PageAfter = None, limit: PageLimit = 100) -> Response:
    """A system's risk register with scores and ratings, by id, a page at a time."""
    return _page("risks", _store(request).risks_page(system_id, after=after, limit=limit), _risk_dict)


@router.post(
    "/systems/{system_id}/risks", dependencies=[_admin], openapi_extra=_body_of(Risk, optional=("system_id",))
)
def put_risk(request: Request, system_id: str, body: JsonObject) -> Response:
    """Add or replace one risk."""
    risk = parse_model(Risk, {"system_id": system_id, **body}, origin="risk")
    if risk.system_id != system_id:
        raise InputError(f"is {risk.system_id!r} but the URL names {system_id!r}", field="system_id")
    return json_response(_risk_dict(_store(request).put_risk(risk)), status_code=201)


@router.delete("/systems/{system_id}/risks/{risk_id}", dependencies=[_admin])
def delete_risk(request: Request, system_id: str, risk_id: str) -> Response:
    """Remove one risk."""
    _store(request).delete_risk(system_id, risk_id)
    return Response(status_code=204)


@router.get("/systems/{system_id}/heatmap", dependencies=[_reader])
def heatmap(request: Request, system_id: str, residual: bool = False) -> Response:
    """The 5×5 heat map: risk ids per (severity, likelihood) cell, and as text."""
    risks = _store(request).list_risks(system_id)
    grid = heat_grid(risks, residual=residual)
    cells = [{"severity": s, "likelihood": lk, "risks": ids} for (s, lk), ids in sorted(grid.items()) if ids]
    return json_response(
        {"residual": residual, "cells": cells, "text": heatmap_text(risks, residual=residual)}
    )


@router.get("/systems/{system_id}/risk-report", dependencies=[_reader], responses=_DOCUMENT)
def report(request: Request, system_id: str, format: Format = "md") -> Response:
    """The risk report as Markdown, HTML or JSON."""
    store = _store(request)
    doc = risk_report(store.get_system(system_id), store.list_risks(system_id), now=datetime.now(UTC))
    return Response(render(doc, format), media_type=MEDIA_TYPES[format])


# -- evidence ------------------------------------------------------------------------------


@router.get("/systems/{system_id}/evidence", dependencies=[_reader])
def list_evidence(
    request: Request, system_id: str, after: PageAfter = None, limit: PageLimit = 100
) -> Response:
    """A system's evidence, oldest first, a page at a time."""
    return _page("evidence", _store(request).evidence_page(system_id, after=after, limit=limit))


@router.post("/systems/{system_id}/evidence")
def add_evidence(
    request: Request, system_id: str, body: EvidenceBody, caller: Annotated[Caller, _admin]
) -> Response:
    """Record metrics for the system's current version; the same content twice is a 409."""
    import orjson

    recorded = governance.record_metrics(
        _store(request),
        orjson.dumps(body.metrics, option=orjson.OPT_SORT_KEYS),
        system_id=system_id,
        kind=body.kind,
        name=body.name,
        subject=body.subject,
        subject_version=body.subject_version,
        actor=_actor(caller),
        controls=_controls(body.controls),
        inputs=body.inputs,
        source="metrics",
    )
    return json_response(_dump(recorded.evidence), status_code=201)


@router.post("/systems/{system_id}/attestations")
def attest(
    request: Request, system_id: str, body: AttestationBody, caller: Annotated[Caller, _admin]
) -> Response:
    """Record an attestation or a review outcome for the system's current version."""
    evidence = governance.attest(
        _store(request),
        system_id,
        name=body.name,
        statement=body.statement,
        actor=_actor(caller),
        kind=body.kind,
        passed=body.passed,
        controls=_controls(body.controls),
    )
    return json_response(_dump(evidence), status_code=201)


# -- cards and data sets -------------------------------------------------------------------


@router.get("/systems/{system_id}/cards", dependencies=[_reader])
def cards(request: Request, system_id: str, strict: bool = False) -> Response:
    """Every card of the system as JSON documents; ``strict`` refuses (409) on missing or stale evidence."""
    inputs = collect_card_inputs(_store(request), system_id, now=datetime.now(UTC))
    problems = card_problems(inputs)
    if strict and problems:
        return error_response(409, "ConflictException", "; ".join(problems), extra={"problems": problems})
    docs = {name: doc.to_dict() for name, doc in all_cards(inputs).items()}
    return json_response({"cards": docs, "problems": problems})


@router.get("/systems/{system_id}/cards/{name}", dependencies=[_reader], responses=_DOCUMENT)
def card(request: Request, system_id: str, name: str, format: Format = "md") -> Response:
    """One card by its name (``SYSTEM-system-card``, ``SYSTEM-model-card-MODEL``, ``datasheet-ID``)."""
    docs = all_cards(collect_card_inputs(_store(request), system_id, now=datetime.now(UTC)))
    if name not in docs:
        raise InputError(f"is not one of {sorted(docs)}", field="card")
    return Response(render(docs[name], format), media_type=MEDIA_TYPES[format])


@router.get("/datasets", dependencies=[_reader])
def list_datasets(request: Request, after: PageAfter = None, limit: PageLimit = 100) -> Response:
    """Datasheets by id, a page at a time."""
    return _page("datasets", _store(request).datasets_page(after=after, limit=limit))


@router.post("/datasets", dependencies=[_admin], openapi_extra=_body_of(Datasheet))
def put_dataset(request: Request, body: JsonObject) -> Response:
    """Add or replace a datasheet (profiles are measured with ``steward dataset profile``)."""
    sheet = parse_model(Datasheet, body, origin="dataset")
    return json_response(_dump(_store(request).put_dataset(sheet)), status_code=201)


@router.get("/datasets/{dataset_id}", dependencies=[_reader])
def get_dataset(request: Request, dataset_id: str) -> Response:
    """One datasheet."""
    return json_response(_dump(_store(request).get_dataset(dataset_id)))


# -- the whole register --------------------------------------------------------------------


@router.get(
    "/register",
    dependencies=[_reader],
    responses={
        200: {
            "description": "the register: YAML by default, JSON with `format=json`",
            "content": {
                "application/yaml": {"schema": {"type": "string"}},
                "application/json": {"schema": {"type": "object"}},
            },
        }
    },
)
def export_register(
    request: Request, format: Annotated[str, Query(pattern="^(yaml|json)$")] = "yaml"
) -> Response:
    """The whole register, as YAML (for git) or JSON."""
    register = _store(request).export_register()
    if format == "json":
        return json_response(to_document(register))
    return Response(dump_register(register), media_type="application/yaml")


@router.post(
    "/register",
    dependencies=[_admin],
    openapi_extra=_body_of(Register, media=("application/yaml", "application/json")),
)
async def import_register(request: Request) -> Response:
    """Import a register (YAML or JSON body); all or nothing."""
    body = await request.body()
    register = parse_register(body, origin="register")
    problem = json_problem(to_document(register))
    if problem is not None:
        raise InputError(problem[1], field=f"register.{problem[0]}")
    from starlette.concurrency import run_in_threadpool

    counts = await run_in_threadpool(_store(request).import_register, register)
    return json_response({"imported": counts})
