"""What the overview and monitoring pages share: a period (the last hour, day or week) of one
guardrail or all, the monitoring report over it, and its per-version table and filters.

Both pages read :func:`steward.monitor.report.build_report` — the report ``GET
/v1/monitor/report`` answers — over the same window grid, so :func:`read_period` validates the
filters and runs it once per page, and the templates share ``_period.html`` (the filter form,
the range line and the per-version table). Windows are whole hours for the day and the week, so
their settled hours come from the hourly rollups (:mod:`steward.store.rollups`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from steward.console.web import guardrail_ids, state_of
from steward.errors import InputError
from steward.monitor.report import build_report
from steward.store.monitor import AuditScope

__all__ = ["PERIODS", "Period", "read_period"]

#: Period name -> (range, window seconds, label format).
PERIODS: dict[str, tuple[timedelta, int, str]] = {
    "hour": (timedelta(hours=1), 300, "%H:%M"),
    "day": (timedelta(days=1), 3600, "%H:%M"),
    "week": (timedelta(days=7), 6 * 3600, "%a %H:%M"),
}
_MAX_GUARDRAIL = 64


@dataclass(frozen=True, slots=True)
class Period:
    """One page's period, its filters and the report over it."""

    name: str
    guardrail: str
    span: timedelta
    #: The report's range (``since`` starts on the hour for windows of whole hours).
    since: datetime
    until: datetime
    report: dict[str, Any]
    #: A label per window, for the charts' axes.
    labels: list[str]
    #: Every guardrail id, for the filter.
    guardrails: list[str]

    @property
    def scope(self) -> AuditScope:
        """The records the page looks at."""
        return AuditScope(guardrail_id=self.guardrail or None)

    def context(self) -> dict[str, Any]:
        """What ``_period.html`` needs."""
        return {
            "period": self.name,
            "periods": list(PERIODS),
            "guardrail": self.guardrail,
            "guardrails": self.guardrails,
            "groups": self.report["groups"],
            "since": self.report["since"],
            "until": self.report["until"],
        }


async def read_period(request: Request, period: str, guardrail: str) -> Period:
    """Validate the filters (a bad one is an :class:`InputError` naming it) and read the report."""
    if period not in PERIODS:
        raise InputError(f"must be one of {', '.join(PERIODS)}", field="period")
    if len(guardrail) > _MAX_GUARDRAIL:
        raise InputError(f"must be at most {_MAX_GUARDRAIL} characters", field="guardrail")
    span, window_s, label_fmt = PERIODS[period]
    state = state_of(request)
    until = datetime.now(UTC).replace(microsecond=0)
    report = await run_in_threadpool(
        lambda: build_report(
            state.sessions,
            since=until - span,
            until=until,
            window_s=window_s,
            scope=AuditScope(guardrail_id=guardrail or None),
        )
    )
    return Period(
        name=period,
        guardrail=guardrail,
        span=span,
        since=datetime.fromisoformat(report["since"]),
        until=until,
        report=report,
        labels=[datetime.fromisoformat(s).strftime(label_fmt) for s in report["windowStarts"]],
        guardrails=await guardrail_ids(request),
    )
