"""Monitoring over HTTP: reports, drift, alert rules and fired alerts, and Prometheus ``/metrics``.

Reports, drift and alerts are read with ``auditor`` (and ``admin``) keys; rules are written
by ``admin`` keys only. ``/metrics`` needs an auditor or admin key unless
``STEWARD_METRICS_PUBLIC=1``. :func:`install` wires it all into an app: the routes, the
request counter, the decision counter on the audit writer, and the alert scheduler that
:func:`start` and :func:`stop` run in the app's lifespan.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, FastAPI, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from steward.app import monitor
from steward.errors import InputError, StewardError
from steward.monitor.prom import CONTENT_TYPE_LATEST, MetricsMiddleware, exposition, instrument_writer
from steward.monitor.report import parse_duration, resolve_range
from steward.monitor.scheduler import AlertScheduler
from steward.monitor.settings import MonitorSettings
from steward.monitor.tracing import trace_guard, tracer_for
from steward.server.auth import Caller, Role, require_role
from steward.server.responses import json_response
from steward.server.state import get_state

__all__ = ["install", "router", "start", "stop"]

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/monitor", tags=["monitor"])
metrics_router = APIRouter(tags=["monitor"])

_reader = Depends(require_role(Role.AUDITOR))
_admin = Depends(require_role(Role.ADMIN))
_Ident = Annotated[str | None, Query(max_length=64)]
_Source = Annotated[Literal["input", "output"] | None, Query()]
#: Largest rule body accepted (a rule is a few hundred bytes).
_MAX_RULE_BYTES = 8192


def _settings(request: Request) -> MonitorSettings:
    settings: MonitorSettings = request.app.state.monitor_settings
    return settings


@router.get("/report", response_class=Response, summary="Volume, intervention and block rates, latency")
def report(
    request: Request,
    since: Annotated[datetime | None, Query(description="ISO 8601; default: a day before 'until'")] = None,
    until: Annotated[datetime | None, Query(description="ISO 8601; default: now")] = None,
    window: Annotated[str, Query(max_length=16, description="e.g. 15m, 1h, 1d")] = "1h",
    guardrail: _Ident = None,
    version: _Ident = None,
    source: _Source = None,
    caller: _Ident = None,
    by_caller: Annotated[bool, Query(alias="byCaller")] = False,
    who: Caller = _reader,
) -> Response:
    """Per guardrail, version, direction (and application key): counts, rates and latency per window."""
    start, end = resolve_range(since, until)
    body = monitor.report(
        get_state(request),
        since=start,
        until=end,
        window_s=parse_duration(window, field="window"),
        scope=monitor.scope(guardrail, version, source, caller),
        by_caller=by_caller,
    )
    return json_response(body)


@router.get("/compare", response_class=Response, summary="A guardrail version against the previous one")
def compare(
    request: Request,
    guardrail: Annotated[str, Query(max_length=64)],
    version: Annotated[str, Query(max_length=64)],
    previous: _Ident = None,
    since: Annotated[datetime | None, Query()] = None,
    until: Annotated[datetime | None, Query()] = None,
    who: Caller = _reader,
) -> Response:
    """Rates of ``version`` beside ``previous`` (default: the version before), per direction."""
    body = monitor.compare(
        get_state(request),
        guardrail_id=guardrail,
        version=version,
        previous=previous,
        since=since,
        until=until,
    )
    return json_response(body)


@router.get("/drift", response_class=Response, summary="Drift of the inputs against a reference window")
def drift(
    request: Request,
    reference_since: Annotated[datetime, Query(alias="referenceSince")],
    reference_until: Annotated[datetime, Query(alias="referenceUntil")],
    since: Annotated[datetime | None, Query()] = None,
    until: Annotated[datetime | None, Query()] = None,
    guardrail: _Ident = None,
    version: _Ident = None,
    source: _Source = None,
    caller: _Ident = None,
    who: Caller = _reader,
) -> Response:
    """PSI and KS of text length, language mix and reported scores, current against reference."""
    reference = resolve_range(reference_since, reference_until)
    current = resolve_range(since, until)
    body = monitor.drift(
        get_state(request),
        reference=reference,
        current=current,
        scope=monitor.scope(guardrail, version, source, caller),
    )
    return json_response(body)


@router.get("/alerts", response_class=Response, summary="Fired alerts, newest first")
def alerts(
    request: Request,
    since: Annotated[datetime | None, Query()] = None,
    rule: _Ident = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    who: Caller = _reader,
) -> Response:
    """Fired alerts with their delivery state."""
    return json_response(
        {"alerts": monitor.alerts(get_state(request), since=since, rule_id=rule, limit=limit)}
    )


@router.get("/rules", response_class=Response, summary="Alert rules")
def list_rules(request: Request, who: Caller = _reader) -> Response:
    """Every alert rule, and the webhook names rules may use."""
    rules = monitor.rules(get_state(request))
    return json_response({"rules": rules, "webhooks": sorted(_settings(request).webhooks)})


async def _rule_body(request: Request) -> dict[str, Any]:
    """The JSON object of a rule's request body (at most :data:`_MAX_RULE_BYTES`)."""
    raw = await request.body()
    if len(raw) > _MAX_RULE_BYTES:
        raise InputError(f"must be at most {_MAX_RULE_BYTES} bytes", field="body")
    try:
        body: Any = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise InputError("is not valid JSON", field="body") from None
    if not isinstance(body, dict):
        raise InputError("must be a JSON object", field="body")
    return body


@router.post("/rules", response_class=Response, status_code=201, summary="Create an alert rule")
async def create_rule(request: Request, who: Caller = _admin) -> Response:
    """A new rule (admin only); its ``webhook`` must be one the operator configured."""
    body = await _rule_body(request)
    created = await run_in_threadpool(
        lambda: monitor.add_rule(get_state(request), body, created_by=who.key_id)
    )
    return json_response(created, status_code=201)


@router.put("/rules/{rule_id}", response_class=Response, summary="Change an alert rule")
async def change_rule(request: Request, rule_id: str, who: Caller = _admin) -> Response:
    """Replace a rule's settings (admin only; the same body as creating it, the id may be left out).
    The rule keeps its creator and when it last fired, so its cooldown still holds."""
    if len(rule_id) > 64:
        raise InputError("must be at most 64 characters", field="rule_id")
    body = await _rule_body(request)
    changed = await run_in_threadpool(lambda: monitor.change_rule(get_state(request), rule_id, body))
    return json_response(changed)


@router.delete("/rules/{rule_id}", response_class=Response, summary="Delete an alert rule")
def delete_rule(request: Request, rule_id: str, who: Caller = _admin) -> Response:
    """Delete a rule and its fired alerts (admin only)."""
    if len(rule_id) > 64:
        raise InputError("must be at most 64 characters", field="rule_id")
    monitor.delete_rule(get_state(request), rule_id)
    return Response(status_code=204)


async def _metrics_caller(request: Request) -> None:
    if not _settings(request).metrics_public:
        await require_role(Role.AUDITOR)(request)


@metrics_router.get("/metrics", response_class=Response, summary="Prometheus metrics")
def metrics(request: Request, _: None = Depends(_metrics_caller)) -> Response:
    """The text exposition format; needs an auditor or admin key unless ``STEWARD_METRICS_PUBLIC=1``.

    The review gauges are read from the database here, at scrape time: a scrape every few
    seconds costs one grouped query, and the figures never lag behind the queue."""
    state = get_state(request)
    try:
        monitor.refresh_review_metrics(state)
    except StewardError as exc:  # the other metrics still answer; the gauges keep their last value
        log.warning("review gauges not refreshed: %s", type(exc).__name__)
    return Response(exposition(state.audit), media_type=CONTENT_TYPE_LATEST)


def install(app: FastAPI) -> None:
    """Add monitoring to ``app``: routes, request and decision metrics, and the alert scheduler."""
    state = app.state.steward
    monitor_settings = monitor.settings(state)
    app.state.monitor_settings = monitor_settings
    app.state.alert_scheduler = monitor.scheduler(state, monitor_settings)
    instrument_writer(state.audit)
    tracer = tracer_for(state.settings)  # STEWARD_OTEL_TRACES; without the otel extra the server stops here
    if tracer is not None:
        state.guards.decorate = lambda guard: trace_guard(guard, tracer)
    app.add_middleware(MetricsMiddleware)
    app.include_router(router)
    app.include_router(metrics_router)


def start(app: FastAPI) -> None:
    """Start the alert scheduler (call from the lifespan, on the event loop)."""
    scheduler: AlertScheduler | None = getattr(app.state, "alert_scheduler", None)
    if scheduler is not None:
        scheduler.start()


async def stop(app: FastAPI) -> None:
    """Stop the alert scheduler."""
    scheduler: AlertScheduler | None = getattr(app.state, "alert_scheduler", None)
    if scheduler is not None:
        await scheduler.stop()
