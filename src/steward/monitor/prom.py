"""Prometheus metrics of a server process: requests, decisions, findings, latency, audit backlog.

* ``steward_http_requests_total{method,route,status}`` and
  ``steward_http_request_duration_seconds{method,route}``: every request the routes answer
  (labelled by route *template*, never by the path as sent);
* ``steward_decisions_total{endpoint,source,action}``,
  ``steward_findings_total{policy,type,action}`` and
  ``steward_guard_latency_seconds{endpoint,source}``: every decision the audit writer
  receives (apply, check, the proxy: all of them pass through it);
* ``steward_audit_backlog``: audit records queued and not yet stored;
* ``steward_review_queue_depth{reason,state}`` and ``steward_review_sla_breaches{reason}``:
  unresolved review items, and those of them past their due time, read from the database
  at each scrape (:func:`refresh_review_gauges`), so every worker reports the same figures.

The metrics live in prometheus-client's default registry, one set per process. With
several worker processes (``steward serve --workers N``) each worker counts its own
requests and a scrape reaches one of them. Setting ``PROMETHEUS_MULTIPROC_DIR`` to an empty
directory before the server starts switches prometheus-client to its multiprocess mode:
every worker writes its values there and ``/metrics`` sums them (see docs/monitoring.md
for its limits).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from steward.audit.record import AuditRecord
from steward.audit.writer import AuditWriter

__all__ = [
    "CONTENT_TYPE_LATEST",
    "MetricsMiddleware",
    "exposition",
    "instrument_writer",
    "observe_decision",
    "refresh_review_gauges",
]

log = logging.getLogger(__name__)

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter(
    "steward_http_requests", "HTTP requests answered by a route.", ("method", "route", "status")
)
HTTP_DURATION = Histogram(
    "steward_http_request_duration_seconds",
    "Time to answer an HTTP request.",
    ("method", "route"),
    buckets=_LATENCY_BUCKETS,
)
DECISIONS = Counter("steward_decisions", "Guardrail decisions.", ("endpoint", "source", "action"))
FINDINGS = Counter("steward_findings", "Findings in guardrail decisions.", ("policy", "type", "action"))
GUARD_LATENCY = Histogram(
    "steward_guard_latency_seconds",
    "Latency of a guardrail decision as the audit record states it.",
    ("endpoint", "source"),
    buckets=_LATENCY_BUCKETS,
)
AUDIT_BACKLOG = Gauge(
    "steward_audit_backlog", "Audit records queued and not yet stored.", multiprocess_mode="livesum"
)
REVIEW_DEPTH = Gauge(
    "steward_review_queue_depth",
    "Unresolved review items (open, claimed, escalated).",
    ("reason", "state"),
    multiprocess_mode="max",
)
REVIEW_BREACHES = Gauge(
    "steward_review_sla_breaches",
    "Unresolved review items past their due time (SLA breached).",
    ("reason",),
    multiprocess_mode="max",
)
_seen_depth: set[tuple[str, str]] = set()
_seen_breach: set[str] = set()

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
#: Longest label value kept (finding types are policy-defined names; a long one is cut).
_LABEL_MAX = 64


def _label(value: Any) -> str:
    return str(value or "-")[:_LABEL_MAX]


def observe_decision(record: AuditRecord) -> None:
    """Count one decision, its findings and its latency."""
    DECISIONS.labels(_label(record.endpoint), _label(record.source), _label(record.action)).inc()
    GUARD_LATENCY.labels(_label(record.endpoint), _label(record.source)).observe(record.latency_ms / 1000)
    for finding in record.findings:
        FINDINGS.labels(
            _label(finding.get("policy")), _label(finding.get("type")), _label(finding.get("action"))
        ).inc()


def instrument_writer(writer: AuditWriter) -> None:
    """Count every decision ``writer`` receives: the writer is the one place all of them pass
    (the Bedrock API, ``/v1/check``, the proxy), so wrapping its ``submit`` needs no change in
    any of their routes. The count happens before the record is queued; a metrics failure
    never stops the record."""
    submit = writer.submit
    if getattr(submit, "_steward_metered", False):
        return

    def metered(record: AuditRecord) -> None:
        submit(record)
        try:
            observe_decision(record)
            AUDIT_BACKLOG.set(writer.pending)
        except Exception as exc:  # metrics are best effort; the decision is already queued
            log.debug("decision metrics failed: %s", type(exc).__name__)

    metered._steward_metered = True  # type: ignore[attr-defined]
    setattr(writer, "submit", metered)  # noqa: B010 (an instance attribute, not the class's method)


def refresh_review_gauges(counts: Iterable[tuple[str, str, int, int]]) -> None:
    """Set the review gauges from ``(reason, state, items, overdue)`` rows; a series seen before
    and absent now drops to 0 (an emptied queue must read 0, not its last value)."""
    depth: dict[tuple[str, str], int] = {}
    breaches: dict[str, int] = {}
    for reason, state, items, overdue in counts:
        key = (_label(reason), _label(state))
        depth[key] = depth.get(key, 0) + items
        breaches[key[0]] = breaches.get(key[0], 0) + overdue
    for key in _seen_depth - depth.keys():
        depth[key] = 0
    for reason in _seen_breach - breaches.keys():
        breaches[reason] = 0
    for key, value in depth.items():
        REVIEW_DEPTH.labels(*key).set(value)
    for reason, value in breaches.items():
        REVIEW_BREACHES.labels(reason).set(value)
    _seen_depth.update(depth)
    _seen_breach.update(breaches)


def exposition(writer: AuditWriter | None = None) -> bytes:
    """The text exposition format of every metric (all workers' in multiprocess mode)."""
    if writer is not None:
        AUDIT_BACKLOG.set(writer.pending)
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def _route(scope: Scope) -> str:
    route: Any = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return template if isinstance(template, str) else "-"


class MetricsMiddleware:
    """Plain ASGI middleware counting requests and their duration by route template."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            method = scope.get("method", "")
            method = method if method in _METHODS else "OTHER"
            route = _route(scope)
            HTTP_REQUESTS.labels(method, route, str(status or 500)).inc()
            HTTP_DURATION.labels(method, route).observe(time.perf_counter() - started)
