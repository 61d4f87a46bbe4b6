"""The monitoring page: latency over time, drift of the inputs, alert rules and fired alerts.

Everything comes from :mod:`steward.monitor` — the functions ``/v1/monitor/report``,
``/v1/monitor/drift``, ``/v1/monitor/rules`` and ``/v1/monitor/alerts`` answer with:
:func:`~steward.monitor.report.build_report` for latency per guardrail version,
:func:`~steward.monitor.drift.drift_report` for the period against the one before it, and
:class:`~steward.store.monitor.AlertStore` with the API's own JSON shapes for rules and alerts.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from steward.console.charts import Series, level_chart, line_chart
from steward.console.overview import PERIODS
from steward.console.permissions import Action
from steward.console.web import page, render, signed_in, state_of
from steward.errors import InputError
from steward.monitor.alerts import event_to_dict, rule_to_dict
from steward.monitor.drift import PSI_MODERATE, PSI_SIGNIFICANT, drift_report
from steward.monitor.report import build_report
from steward.store.monitor import AlertStore, AuditScope

__all__ = ["latency_series", "router"]

router = APIRouter()

#: Lines on the latency chart (each differs by dash pattern; more groups are in the table).
_MAX_LINES = 4
#: How each line of the latency chart is drawn, in words for its legend (charts._DASHES order).
_LINE_STYLES = ("solid line", "dashed line", "dotted line", "dash-dot line")
#: Fired alerts shown, newest first.
_ALERTS = 100


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
async def monitoring(request: Request, period: str = "day", guardrail: str = "") -> Response:
    """Latency and drift over the last hour, day or week (one guardrail or all), rules and alerts."""
    session = signed_in(request, Action.MONITORING)
    if period not in PERIODS:
        raise InputError(f"must be one of {', '.join(PERIODS)}", field="period")
    if len(guardrail) > 64:
        raise InputError("must be at most 64 characters", field="guardrail")
    span, window_s, label_fmt = PERIODS[period]
    state = state_of(request)
    scope = AuditScope(guardrail_id=guardrail or None)
    until = datetime.now(UTC).replace(microsecond=0)
    since = until - span
    report = await run_in_threadpool(
        build_report, state.sessions, since=since, until=until, window_s=window_s, scope=scope
    )
    drift = await run_in_threadpool(
        lambda: drift_report(
            state.sessions, reference=(since - span, since), current=(since, until), scope=scope
        )
    )
    alerts = AlertStore(state.sessions)
    rules = [rule_to_dict(r) for r in await run_in_threadpool(alerts.rules)]
    fired = [event_to_dict(e) for e in await run_in_threadpool(lambda: alerts.events(limit=_ALERTS))]
    labels = [datetime.fromisoformat(s).strftime(label_fmt) for s in report["windowStarts"]]
    charts = {
        "latency": line_chart(
            "latency", "p99 latency per guardrail version (ms)", labels, latency_series(report), fmt="{:.1f}"
        ),
        "drift": level_chart(
            "drift",
            "Drift of this period against the one before (PSI)",
            [(f["feature"], f.get("psi")) for f in drift["features"]],
            [("moderate", PSI_MODERATE), ("significant", PSI_SIGNIFICANT)],
        ),
    }
    guardrails = await run_in_threadpool(state.guardrails.list_all)
    return render(
        request,
        "monitoring.html",
        session=session,
        active="monitoring",
        period=period,
        periods=list(PERIODS),
        guardrail=guardrail,
        guardrails=[g.id for g in guardrails],
        charts=charts,
        lines=[
            {"name": line.name, "style": style}
            for line, style in zip(latency_series(report), _LINE_STYLES, strict=False)
        ],
        groups=report["groups"],
        drift=drift,
        rules=rules,
        alerts=fired,
    )
