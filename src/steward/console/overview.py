"""The overview page: traffic, intervention and block rates over time, top categories, latency.

Everything comes from :func:`steward.monitor.report.build_report` — the same report
``GET /v1/monitor/report`` answers — summed over the report's groups for the charts and
shown per group (guardrail, version, direction) in the latency table.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from steward.console.charts import Series, bar_chart, line_chart
from steward.console.permissions import Action
from steward.console.web import page, render, signed_in, state_of
from steward.errors import InputError
from steward.monitor.report import build_report
from steward.store.monitor import AuditScope

__all__ = ["PERIODS", "router", "summarise"]

router = APIRouter()

#: Period name -> (range, window seconds, label format).
PERIODS: dict[str, tuple[timedelta, int, str]] = {
    "hour": (timedelta(hours=1), 300, "%H:%M"),
    "day": (timedelta(days=1), 3600, "%H:%M"),
    "week": (timedelta(days=7), 6 * 3600, "%a %H:%M"),
}
_TOP = 10


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def summarise(report: dict[str, Any]) -> dict[str, Any]:
    """Per window totals over every group, the top finding categories, and totals."""
    n = len(report["windowStarts"])
    requests, interventions, blocks = [0] * n, [0] * n, [0] * n
    for group in report["groups"]:
        for i, w in enumerate(group["series"]):
            requests[i] += w["requests"]
            interventions[i] += w["interventions"]
            blocks[i] += w["blocks"]
    categories: dict[tuple[str, str], dict[str, int]] = {}
    for f in report["findings"]:
        entry = categories.setdefault((f["policy"], f["type"]), {"records": 0, "blocked": 0, "anonymized": 0})
        entry["records"] += f["records"]
        entry["blocked"] += f["blocked"]
        entry["anonymized"] += f["anonymized"]
    top = sorted(categories.items(), key=lambda kv: (-kv[1]["records"], kv[0]))[:_TOP]
    total_requests = sum(g["requests"] for g in report["groups"])
    return {
        "requests": requests,
        "interventionRate": [_rate(a, r) for a, r in zip(interventions, requests, strict=True)],
        "blockRate": [_rate(b, r) for b, r in zip(blocks, requests, strict=True)],
        "top": [{"policy": p, "type": t, **counts} for (p, t), counts in top],
        "totals": {
            "requests": total_requests,
            "interventions": sum(g["interventions"] for g in report["groups"]),
            "blocks": sum(g["blocks"] for g in report["groups"]),
        },
    }


@router.get("/overview", include_in_schema=False)
@page
async def overview(request: Request, period: str = "day", guardrail: str = "") -> Response:
    """Charts and tables for the last hour, day or week, for one guardrail or all."""
    session = signed_in(request, Action.OVERVIEW)
    if period not in PERIODS:
        raise InputError(f"must be one of {', '.join(PERIODS)}", field="period")
    if len(guardrail) > 64:
        raise InputError("must be at most 64 characters", field="guardrail")
    span, window_s, label_fmt = PERIODS[period]
    state = state_of(request)
    until = datetime.now(UTC).replace(microsecond=0)
    report = await run_in_threadpool(
        build_report,
        state.sessions,
        since=until - span,
        until=until,
        window_s=window_s,
        scope=AuditScope(guardrail_id=guardrail or None),
    )
    summary = summarise(report)
    labels = [datetime.fromisoformat(s).strftime(label_fmt) for s in report["windowStarts"]]
    charts = {
        "traffic": bar_chart("traffic", "Requests per window", labels, summary["requests"]),
        "rates": line_chart(
            "rates",
            "Intervention and block rates",
            labels,
            [
                Series("intervention rate", summary["interventionRate"]),
                Series("block rate", summary["blockRate"]),
            ],
            y_max=1.0,
        ),
    }
    guardrails = await run_in_threadpool(state.guardrails.list_all)
    return render(
        request,
        "overview.html",
        session=session,
        active="overview",
        period=period,
        periods=list(PERIODS),
        guardrail=guardrail,
        guardrails=[g.id for g in guardrails],
        charts=charts,
        summary=summary,
        groups=report["groups"],
        since=report["since"],
        until=report["until"],
    )
