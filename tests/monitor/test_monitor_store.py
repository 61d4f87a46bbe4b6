"""The report's SQL: latency buckets (with ``ln`` and with the halving CASE) and window indexes."""

from __future__ import annotations

from bisect import bisect_left
from datetime import UTC, datetime, timedelta

import pytest
from monitor_helpers import new_gid, record, store
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from steward.store import monitor as store_monitor
from steward.store.monitor import LATENCY_EDGES_MS, AuditScope, report_cells

BASE = datetime(2026, 6, 1, tzinfo=UTC)
LATENCIES = [0.0, 0.05, 0.1, *LATENCY_EDGES_MS[5:60:7], 0.37, 3.3, 47.0, 999.9, 5e5]


@pytest.mark.parametrize("math_functions", [True, False])
def test_latency_buckets_match_the_edges(
    engine: Engine, sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch, math_functions: bool
) -> None:
    monkeypatch.setattr(store_monitor, "_has_math", lambda session: math_functions)
    gid = new_gid("b")
    store(engine, [record(gid, BASE, latency_ms=lat) for lat in LATENCIES])
    cells = report_cells(
        sessions,
        since=BASE,
        until=BASE + timedelta(hours=1),
        window_s=3600,
        scope=AuditScope(guardrail_id=gid),
    )
    got = sorted(b for c in cells for b in [c.latency_bucket] * c.requests)
    # the audit record rounds latency to 3 decimals before storing it
    expected = sorted(min(bisect_left(LATENCY_EDGES_MS, round(x, 3)), 64) for x in LATENCIES)
    assert got == expected


def test_windows_count_from_since(engine: Engine, sessions: sessionmaker[Session]) -> None:
    gid = new_gid("b")
    since = BASE + timedelta(minutes=30)
    offsets = [0, 599, 600, 1799, 1800, 3599]
    store(engine, [record(gid, since + timedelta(seconds=s)) for s in offsets])
    cells = report_cells(
        sessions,
        since=since,
        until=since + timedelta(hours=1),
        window_s=600,
        scope=AuditScope(guardrail_id=gid),
    )
    per_window: dict[int, int] = {}
    for c in cells:
        per_window[c.window] = per_window.get(c.window, 0) + c.requests
    assert per_window == {0: 2, 1: 1, 2: 1, 3: 1, 5: 1}
