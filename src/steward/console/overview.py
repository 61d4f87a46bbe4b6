"""The overview page: traffic, intervention and block rates over time, top categories, latency,
the review queue's depth and SLA breaches, and the alerts fired — for one guardrail or all.

The traffic, rates and latency come from :func:`steward.monitor.report.build_report` (through
:func:`steward.console.period.read_period`, the report ``GET /v1/monitor/report`` answers),
summed over the report's groups for the charts and shown per guardrail version in the table.
The queue's depth is :meth:`~steward.store.review.ReviewStore.queue_counts` (what the Prometheus
gauges show), and the alerts are :class:`~steward.store.monitor.AlertStore`'s, fired in the
period by rules about this guardrail or about everything.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from steward.console.charts import Series, bar_chart, line_chart
from steward.console.period import read_period
from steward.console.permissions import Action
from steward.console.web import page, render, signed_in, state_of
from steward.monitor.alerts import event_to_dict
from steward.server.routers.review import services
from steward.store.monitor import AlertStore

__all__ = ["queue_summary", "router", "summarise"]

router = APIRouter()

_TOP = 10
#: Fired alerts listed on the overview (the monitoring page lists more).
_ALERTS = 5
#: Fired alerts read to count those of one guardrail.
_ALERTS_READ = 1000


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
    return {
        "requests": requests,
        "interventionRate": [_rate(a, r) for a, r in zip(interventions, requests, strict=True)],
        "blockRate": [_rate(b, r) for b, r in zip(blocks, requests, strict=True)],
        "top": [{"policy": p, "type": t, **counts} for (p, t), counts in top],
        "totals": {
            "requests": sum(g["requests"] for g in report["groups"]),
            "interventions": sum(g["interventions"] for g in report["groups"]),
            "blocks": sum(g["blocks"] for g in report["groups"]),
        },
    }


def queue_summary(counts: list[tuple[str, str, int, int]]) -> dict[str, Any]:
    """Unresolved review items per reason (open, claimed, escalated) and how many are past due."""
    reasons: dict[str, dict[str, int]] = {}
    for reason, state, items, overdue in counts:
        row = reasons.setdefault(reason, {"open": 0, "claimed": 0, "escalated": 0, "overdue": 0})
        row[state] = row.get(state, 0) + items
        row["overdue"] += overdue
    return {
        "reasons": sorted(reasons.items()),
        "waiting": sum(r["open"] + r["claimed"] + r["escalated"] for r in reasons.values()),
        "overdue": sum(r["overdue"] for r in reasons.values()),
    }


@router.get("/overview", include_in_schema=False)
@page
async def overview(request: Request, period: str = "day", guardrail: str = "") -> Response:
    """Charts and tables for the last hour, day or week, for one guardrail or all."""
    session = await signed_in(request, Action.OVERVIEW)
    shown = await read_period(request, period, guardrail)
    summary = summarise(shown.report)
    charts = {
        "traffic": bar_chart("traffic", "Requests per window", shown.labels, summary["requests"]),
        "rates": line_chart(
            "rates",
            "Intervention and block rates",
            shown.labels,
            [
                Series("intervention rate", summary["interventionRate"]),
                Series("block rate", summary["blockRate"]),
            ],
            y_max=1.0,
        ),
    }
    queue = await run_in_threadpool(
        lambda: services(request).queue.store.queue_counts(guardrail_id=shown.guardrail or None)
    )
    alerts = AlertStore(state_of(request).sessions)
    rules = {r.id: r for r in await run_in_threadpool(alerts.rules)}
    fired = [
        event_to_dict(e)
        for e in await run_in_threadpool(lambda: alerts.events(since=shown.since, limit=_ALERTS_READ))
        if not shown.guardrail
        or getattr(rules.get(e.rule_id), "scope_guardrail", None) in (None, shown.guardrail)
    ]
    return render(
        request,
        "overview.html",
        session=session,
        active="overview",
        charts=charts,
        summary=summary,
        queue=queue_summary(queue),
        alerts=fired[:_ALERTS],
        alerts_fired=len(fired),
        alerts_capped=len(fired) >= _ALERTS_READ,
        **shown.context(),
    )
