"""Alert rules: what they may say, how one is evaluated, and firing it once across processes.

A rule compares one metric over the last ``window`` seconds of the audit trail, within its
scope, with a threshold. Metrics: ``request_volume``, ``intervention_rate``,
``block_rate``, ``latency_p50_ms``, ``latency_p99_ms`` (from the same aggregates as the
report), and two drift metrics that compare the window with the window just before it:
``text_length_psi`` and ``language_mix_psi`` (see :mod:`steward.monitor.drift`). A rule
fires only when the window holds at least ``min_requests`` records (a block rate of 1.0
over one request is noise), and then not again before ``cooldown`` seconds have passed;
:meth:`~steward.store.monitor.AlertStore.claim_firing` makes that hold across server
processes sharing one database.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from steward.errors import InputError
from steward.monitor.drift import MIN_SAMPLE, drift_report
from steward.monitor.report import percentile
from steward.store.idents import check_alias
from steward.store.models.core import as_utc
from steward.store.models.monitor import AlertEventRow, AlertRuleRow
from steward.store.monitor import LATENCY_EDGES_MS, AlertStore, AuditScope, report_cells

__all__ = [
    "COMPARISONS",
    "METRICS",
    "Evaluation",
    "evaluate",
    "evaluate_all",
    "event_to_dict",
    "new_rule",
    "replace_rule",
    "rule_to_dict",
    "store_rule",
]

METRICS = (
    "request_volume",
    "intervention_rate",
    "block_rate",
    "latency_p50_ms",
    "latency_p99_ms",
    "text_length_psi",
    "language_mix_psi",
)
COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
MIN_WINDOW_S = 60
MAX_WINDOW_S = 31 * 86400
MAX_COOLDOWN_S = 31 * 86400
MAX_RULES = 200


@dataclass(frozen=True, slots=True)
class Evaluation:
    """One rule's metric over its latest window."""

    rule_id: str
    value: float | None
    requests: int
    fires: bool
    window_start: datetime
    window_end: datetime


def _ident(value: Any, field: str, *, optional: bool = True) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not 1 <= len(value) <= 64:
        raise InputError("must be a string of 1 to 64 characters", field=field)
    return value


def _int(value: Any, field: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise InputError(f"must be a whole number from {lo} to {hi}", field=field)
    return value


def new_rule(
    body: Mapping[str, Any], *, webhooks: Mapping[str, str], created_by: str | None = None
) -> AlertRuleRow:
    """A validated rule from its JSON form (``id``, ``metric``, ``comparison``, ``threshold``,
    ``window``, ``cooldown``, optional ``scope``, ``minRequests``, ``webhook``, ``description``).

    ``webhook`` must name one of the configured ``webhooks``: a rule never carries a URL.
    """
    known = {
        "id",
        "description",
        "metric",
        "scope",
        "window",
        "comparison",
        "threshold",
        "minRequests",
        "cooldown",
        "webhook",
        "enabled",
    }
    unknown = sorted(set(body) - known)
    if unknown:
        raise InputError(f"unknown field(s): {', '.join(unknown)}", field="rule")
    rule_id = check_alias(str(body.get("id", "")), field="id")
    metric = body.get("metric")
    if metric not in METRICS:
        raise InputError(f"must be one of {', '.join(METRICS)}", field="metric")
    comparison = body.get("comparison", ">")
    if comparison not in COMPARISONS:
        raise InputError(f"must be one of {', '.join(COMPARISONS)}", field="comparison")
    threshold = body.get("threshold")
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not -1e12 < threshold < 1e12:
        raise InputError("must be a number", field="threshold")
    scope = body.get("scope") or {}
    if not isinstance(scope, Mapping):
        raise InputError("must be an object with guardrail, version, source, caller", field="scope")
    extra = sorted(set(scope) - {"guardrail", "version", "source", "caller"})
    if extra:
        raise InputError(f"unknown field(s): {', '.join(extra)}", field="scope")
    source = scope.get("source")
    if source is not None and source not in ("input", "output"):
        raise InputError("must be 'input' or 'output'", field="scope.source")
    webhook = body.get("webhook")
    if webhook is not None and webhook not in webhooks:
        names = ", ".join(sorted(webhooks)) or "none are configured (STEWARD_ALERT_WEBHOOKS)"
        raise InputError(f"must name a configured webhook: {names}", field="webhook")
    description = body.get("description", "")
    if not isinstance(description, str) or len(description) > 200:
        raise InputError("must be a string of at most 200 characters", field="description")
    enabled = body.get("enabled", True)
    if not isinstance(enabled, bool):
        raise InputError("must be true or false", field="enabled")
    return AlertRuleRow(
        id=rule_id,
        description=description,
        metric=metric,
        scope_guardrail=_ident(scope.get("guardrail"), "scope.guardrail"),
        scope_version=_ident(scope.get("version"), "scope.version"),
        scope_source=source,
        scope_caller=_ident(scope.get("caller"), "scope.caller"),
        window_s=_int(body.get("window"), "window", MIN_WINDOW_S, MAX_WINDOW_S),
        comparison=comparison,
        threshold=float(threshold),
        min_requests=_int(body.get("minRequests", 1), "minRequests", 1, 10**9),
        cooldown_s=_int(body.get("cooldown", 3600), "cooldown", 0, MAX_COOLDOWN_S),
        webhook=webhook,
        enabled=enabled,
        created_by=created_by,
    )


def store_rule(store: AlertStore, rule: AlertRuleRow) -> AlertRuleRow:
    """Store a validated rule, refusing more than :data:`MAX_RULES` (each is evaluated on every tick)."""
    if len(store.rules()) >= MAX_RULES:
        raise InputError(f"at most {MAX_RULES} rules may exist; delete one first", field="id")
    return store.create(rule)


def replace_rule(
    store: AlertStore, rule_id: str, body: Mapping[str, Any], *, webhooks: Mapping[str, str]
) -> AlertRuleRow:
    """Change rule ``rule_id`` to ``body`` (validated as :func:`new_rule` validates a new one; its
    ``id``, if given, must be ``rule_id``): what ``PUT /v1/monitor/rules/{id}`` and the console's
    rule form do. The rule keeps its creator and its last firing (so its cooldown holds)."""
    if "id" in body and body["id"] != rule_id:
        raise InputError(f"must be the rule's own id {rule_id!r}; a rule cannot be renamed", field="id")
    return store.replace(new_rule({**body, "id": rule_id}, webhooks=webhooks))


def rule_to_dict(rule: AlertRuleRow) -> dict[str, Any]:
    """A rule's JSON form (the shape :func:`new_rule` accepts, plus state)."""
    return {
        "id": rule.id,
        "description": rule.description,
        "metric": rule.metric,
        "scope": {
            "guardrail": rule.scope_guardrail,
            "version": rule.scope_version,
            "source": rule.scope_source,
            "caller": rule.scope_caller,
        },
        "window": rule.window_s,
        "comparison": rule.comparison,
        "threshold": rule.threshold,
        "minRequests": rule.min_requests,
        "cooldown": rule.cooldown_s,
        "webhook": rule.webhook,
        "enabled": rule.enabled,
        "lastFiredAt": as_utc(rule.last_fired_at).isoformat() if rule.last_fired_at else None,
    }


def event_to_dict(event: AlertEventRow) -> dict[str, Any]:
    """A fired alert's JSON form (also the webhook's body, less the delivery state)."""
    return {
        "id": event.id,
        "ruleId": event.rule_id,
        "firedAt": as_utc(event.fired_at).isoformat(),
        "metric": event.metric,
        "value": event.value,
        "comparison": event.comparison,
        "threshold": event.threshold,
        "requests": event.requests,
        "windowStart": as_utc(event.window_start).isoformat(),
        "windowEnd": as_utc(event.window_end).isoformat(),
        "webhook": event.webhook,
        "delivery": event.delivery,
        "attempts": event.attempts,
        "lastError": event.last_error,
    }


def _scope(rule: AlertRuleRow) -> AuditScope:
    return AuditScope(rule.scope_guardrail, rule.scope_version, rule.scope_source, rule.scope_caller)


def _measure(
    store_sessions: Any, rule: AlertRuleRow, start: datetime, end: datetime
) -> tuple[float | None, int]:
    """The rule's metric over ``[start, end)`` and the number of records it saw."""
    scope = _scope(rule)
    if rule.metric in ("text_length_psi", "language_mix_psi"):
        before = (start - (end - start), start)
        report = drift_report(store_sessions, reference=before, current=(start, end), scope=scope)
        name = "textLength" if rule.metric == "text_length_psi" else "languageMix"
        feature = next(f for f in report["features"] if f["feature"] == name)
        requests = int(report["current"]["records"])
        return (float(feature["psi"]) if "psi" in feature else None), requests
    window_s = max(1, int((end - start).total_seconds()))
    cells = report_cells(store_sessions, since=start, until=end, window_s=window_s, scope=scope)
    requests = sum(c.requests for c in cells)
    if requests == 0:
        return (0.0 if rule.metric == "request_volume" else None), 0
    if rule.metric == "request_volume":
        return float(requests), requests
    if rule.metric == "intervention_rate":
        return sum(c.interventions for c in cells) / requests, requests
    if rule.metric == "block_rate":
        return sum(c.blocks for c in cells) / requests, requests
    hist = [0] * (len(LATENCY_EDGES_MS) + 1)
    for c in cells:
        hist[c.latency_bucket] += c.requests
    return percentile(hist, 0.5 if rule.metric == "latency_p50_ms" else 0.99), requests


def evaluate(store: AlertStore, sessions: Any, rule: AlertRuleRow, now: datetime) -> Evaluation:
    """Measure ``rule`` over the window ending ``now``; ``fires`` says whether it crosses its threshold."""
    end = as_utc(now)
    start = end - timedelta(seconds=rule.window_s)
    value, requests = _measure(sessions, rule, start, end)
    enough = requests >= max(rule.min_requests, MIN_SAMPLE if rule.metric.endswith("_psi") else 1)
    fires = value is not None and enough and COMPARISONS[rule.comparison](value, rule.threshold)
    return Evaluation(rule.id, value, requests, fires, start, end)


def evaluate_all(store: AlertStore, sessions: Any, now: datetime) -> list[AlertEventRow]:
    """Evaluate every enabled rule; store and return the alerts this process fired.

    A rule that crosses its threshold fires only if this process wins
    :meth:`~steward.store.monitor.AlertStore.claim_firing` (the cooldown, across processes).
    """
    fired = []
    for rule in store.rules(enabled_only=True):
        result = evaluate(store, sessions, rule, now)
        if not result.fires or result.value is None or not store.claim_firing(rule, now):
            continue
        event = AlertEventRow(
            rule_id=rule.id,
            fired_at=as_utc(now),
            metric=rule.metric,
            value=round(result.value, 6),
            threshold=rule.threshold,
            comparison=rule.comparison,
            requests=result.requests,
            window_start=result.window_start,
            window_end=result.window_end,
            webhook=rule.webhook,
            delivery="pending" if rule.webhook else "none",
            attempts=0,
            last_error="",
        )
        fired.append(store.add_event(event))
    return fired
