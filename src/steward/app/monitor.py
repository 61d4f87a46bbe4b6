"""Monitoring use cases shared by ``steward monitor`` and ``/v1/monitor`` (and ``/metrics``).

Reports, drift, alert rules and fired alerts are read from the audit trail and the alert
tables of one :class:`~steward.app.context.App`; alert rules may name only the webhooks its
settings configure (``STEWARD_ALERT_WEBHOOKS``). Each surface translates its own input
(click options, query parameters) into these calls and renders what they return.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from steward.app.context import App
from steward.monitor import rollups
from steward.monitor.alerts import event_to_dict, new_rule, replace_rule, rule_to_dict, store_rule
from steward.monitor.drift import drift_report
from steward.monitor.prom import refresh_review_gauges
from steward.monitor.report import build_report, compare_versions
from steward.monitor.scheduler import AlertScheduler
from steward.monitor.settings import MonitorSettings
from steward.store.monitor import AlertStore, AuditScope
from steward.store.review import ReviewStore

__all__ = [
    "AuditScope",
    "add_rule",
    "alerts",
    "change_rule",
    "compare",
    "delete_rule",
    "drift",
    "evaluate_now",
    "refresh_review_metrics",
    "report",
    "roll_up",
    "rules",
    "scheduler",
    "scope",
    "settings",
]


def settings(app: App) -> MonitorSettings:
    """The app's monitoring settings (webhooks, their secret, the evaluation interval)."""
    return MonitorSettings.from_settings(app.settings)


def scope(
    guardrail: str | None = None,
    version: str | None = None,
    source: str | None = None,
    caller: str | None = None,
) -> AuditScope:
    """Which records a report or drift reads: one guardrail, version, direction or API key (None: all)."""
    return AuditScope(guardrail_id=guardrail, version=version, source=source, caller_key_id=caller)


def report(
    app: App, *, since: datetime, until: datetime, window_s: int, scope: AuditScope, by_caller: bool = False
) -> dict[str, Any]:
    """Volume, intervention and block rates, latency and review rates per window (see
    :func:`steward.monitor.report.build_report`)."""
    return build_report(
        app.sessions, since=since, until=until, window_s=window_s, scope=scope, by_caller=by_caller
    )


def compare(
    app: App,
    *,
    guardrail_id: str,
    version: str,
    previous: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, Any]:
    """A guardrail version's rates beside the previous version's, per direction."""
    return compare_versions(
        app.sessions, guardrail_id=guardrail_id, version=version, previous=previous, since=since, until=until
    )


def drift(
    app: App, *, reference: tuple[datetime, datetime], current: tuple[datetime, datetime], scope: AuditScope
) -> dict[str, Any]:
    """Drift of the current window's inputs against the reference window's."""
    return drift_report(app.sessions, reference=reference, current=current, scope=scope)


def alerts(
    app: App, *, since: datetime | None = None, rule_id: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """Fired alerts, newest first, with their delivery state."""
    return [
        event_to_dict(e) for e in AlertStore(app.sessions).events(since=since, rule_id=rule_id, limit=limit)
    ]


def rules(app: App) -> list[dict[str, Any]]:
    """Every alert rule."""
    return [rule_to_dict(r) for r in AlertStore(app.sessions).rules()]


def add_rule(app: App, body: Mapping[str, Any], *, created_by: str | None = None) -> dict[str, Any]:
    """Check and store a new rule (its webhook must be a configured one); the rule as stored."""
    row = new_rule(body, webhooks=settings(app).webhooks, created_by=created_by)
    return rule_to_dict(store_rule(AlertStore(app.sessions), row))


def change_rule(app: App, rule_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """Replace a rule's settings; it keeps its creator and its last firing (so its cooldown holds)."""
    return rule_to_dict(
        replace_rule(AlertStore(app.sessions), rule_id, body, webhooks=settings(app).webhooks)
    )


def delete_rule(app: App, rule_id: str) -> None:
    """Delete a rule and its fired alerts (:class:`~steward.errors.NotFoundError` if there is none)."""
    AlertStore(app.sessions).delete(rule_id)


def roll_up(app: App, *, rebuild_since: datetime | None = None) -> int:
    """Bring the hourly rollups up to date, first forgetting those from ``rebuild_since`` on; hours rolled."""
    if rebuild_since is None:
        return rollups.catch_up(app.sessions)
    return rollups.rebuild(app.sessions, rebuild_since.replace(tzinfo=rebuild_since.tzinfo or UTC))


def scheduler(app: App, monitor_settings: MonitorSettings | None = None) -> AlertScheduler:
    """The alert scheduler of ``app`` (the server starts it in its lifespan)."""
    return AlertScheduler(app.sessions, monitor_settings or settings(app))


def evaluate_now(app: App) -> int:
    """Evaluate every rule once and deliver what fires, as the server does on its schedule; alerts fired."""
    once = scheduler(app)

    async def run() -> int:
        fired = await once.run_once()
        await once.drain()
        return len(fired)

    return asyncio.run(run())


def refresh_review_metrics(app: App) -> None:
    """Read the review queue's depth and SLA breaches into the Prometheus gauges (one grouped query)."""
    refresh_review_gauges(ReviewStore(app.sessions, app.keys.sealer).queue_counts())
