"""The monitoring page: latency over time, drift of the inputs, alert rules and fired alerts.

Everything comes from :mod:`steward.monitor` — the functions ``/v1/monitor/report``,
``/v1/monitor/drift``, ``/v1/monitor/rules`` and ``/v1/monitor/alerts`` answer with:
:func:`~steward.monitor.report.build_report` for latency per guardrail version (through
:func:`steward.console.period.read_period`, shared with the overview),
:func:`~steward.monitor.drift.drift_report` for the period against the one before it, and
:class:`~steward.store.monitor.AlertStore` with the API's own JSON shapes for rules and alerts.
Admins also get the links that create, change and delete rules (:mod:`steward.console.rule_pages`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from steward.console.charts import Series, level_chart, line_chart
from steward.console.period import read_period
from steward.console.permissions import Action
from steward.console.web import page, render, signed_in, state_of
from steward.monitor.alerts import event_to_dict, rule_to_dict
from steward.monitor.drift import PSI_MODERATE, PSI_SIGNIFICANT, drift_report
from steward.store.monitor import AlertStore

__all__ = ["latency_series", "router"]

router = APIRouter()

#: Lines on the latency chart (each differs by dash pattern; more groups are in the table).
_MAX_LINES = 4
#: How each line of the latency chart is drawn, in words for its legend (charts._DASHES order).
_LINE_STYLES = ("solid line", "dashed line", "dotted line", "dash-dot line")
#: Fired alerts shown, newest first.
_ALERTS = 100
#: What the page says after a rule was saved or deleted.
_DONE = {"created": "created", "changed": "changed", "deleted": "deleted"}


def latency_series(report: dict[str, Any]) -> list[Series]:
    """A p99 latency line per guardrail version and direction, the busiest first."""
    groups = sorted(report["groups"], key=lambda g: -g["requests"])[:_MAX_LINES]
    return [
        Series(
            f"{g['guardrailId']}:{g['version']} {g['source']} p99",
            [w["latencyP99Ms"] for w in g["series"]],
        )
        for g in groups
    ]


@router.get("/monitoring", include_in_schema=False)
@page
async def monitoring(
    request: Request, period: str = "day", guardrail: str = "", rule: str = "", done: str = ""
) -> Response:
    """Latency and drift over the last hour, day or week (one guardrail or all), rules and alerts."""
    session = await signed_in(request, Action.MONITORING)
    shown = await read_period(request, period, guardrail)
    sessions = state_of(request).sessions
    # this period against the one before, both from the start of the report's first window
    drift = await run_in_threadpool(
        lambda: drift_report(
            sessions,
            reference=(shown.since - shown.span, shown.since),
            current=(shown.since, shown.until),
            scope=shown.scope,
        )
    )
    alerts = AlertStore(sessions)
    rules = [rule_to_dict(r) for r in await run_in_threadpool(alerts.rules)]
    fired = [event_to_dict(e) for e in await run_in_threadpool(lambda: alerts.events(limit=_ALERTS))]
    lines = latency_series(shown.report)
    charts = {
        "latency": line_chart(
            "latency", "p99 latency per guardrail version (ms)", shown.labels, lines, fmt="{:.1f}"
        ),
        "drift": level_chart(
            "drift",
            "Drift of this period against the one before (PSI)",
            [(f["feature"], f.get("psi")) for f in drift["features"]],
            [("moderate", PSI_MODERATE), ("significant", PSI_SIGNIFICANT)],
        ),
    }
    notice = f"Rule {rule[:64]} {_DONE[done]}." if rule and done in _DONE else ""
    return render(
        request,
        "monitoring.html",
        session=session,
        active="monitoring",
        charts=charts,
        lines=[{"name": line.name, "style": style} for line, style in zip(lines, _LINE_STYLES, strict=False)],
        drift=drift,
        rules=rules,
        alerts=fired,
        notice=notice,
        **shown.context(),
    )
