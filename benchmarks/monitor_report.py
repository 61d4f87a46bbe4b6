"""How long a monitoring report over N audit records takes on SQLite and on PostgreSQL.

    python benchmarks/monitor_report.py [--n 100000] [--days 30] [--repeat 3]
        [--backends sqlite,postgresql] [--json results.json]

For each backend (a scratch SQLite file or PostgreSQL database, removed afterwards) it
migrates the schema (with the indexes the migrations add) and inserts N audit records spread
evenly over ``--days`` days (:func:`_data.audit_rows`: 3 guardrails x 2 versions x 2
directions, 5 application keys; 15% blocked, 10% masked), then times:

* ``report 1d`` -- :func:`steward.monitor.report.build_report` over the whole range, one window
  per day (what ``steward monitor report --since <30 days ago> --window 1d`` computes);
* ``report 1h by key`` -- the same with hourly windows, grouped by application key too;
* ``report 7d scoped`` -- one guardrail over the last 7 days, hourly;
* ``drift 7d vs 7d`` -- :func:`steward.monitor.drift.drift_report`, last week against the week before.

Each is timed three ways: from the records (no rollups yet: the reference), then, after the
hourly rollups are built (:mod:`steward.store.rollups`; the time to build them is printed), from
the rollups on a first read (``cold``: the per-process cache of rolled spans emptied before each
run) and on a repeated read (``cached``); the hours not yet rolled up, the last one or two, come
from the records in both. The ratio to the reference is printed beside each.

Each figure is the fastest of ``--repeat`` runs after one warm-up run (the database's cache
warm, as on a server that is in use; other work on the shared cores only ever adds time). Inserting is not timed. The machine's cores are shared
with whatever else runs; the figures say how many there are.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _data import audit_rows, load_audit, refresh_statistics, scratch_database

from steward.monitor.drift import drift_report
from steward.monitor.report import build_report
from steward.monitor.rollups import catch_up
from steward.store.db import make_engine, session_factory
from steward.store.monitor import AuditScope
from steward.store.rollups import clear_cache


def _time(fn: Callable[[], Any], repeat: int, before: Callable[[], Any] = lambda: None) -> float:
    before()
    fn()  # warm-up
    runs = []
    for _ in range(repeat):
        before()
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return min(runs)


def _bench(url: str, days: int, repeat: int) -> dict[str, float]:
    engine = make_engine(url)
    try:
        sessions = session_factory(engine)
        end = datetime.now(UTC) + timedelta(minutes=1)
        start = end - timedelta(days=days, minutes=2)
        week = timedelta(days=7)
        cases: dict[str, Callable[[], Any]] = {
            "report 1d": lambda: build_report(sessions, since=start, until=end, window_s=86400),
            "report 1h by key": lambda: build_report(
                sessions, since=start, until=end, window_s=3600, by_caller=True
            ),
            "report 7d scoped": lambda: build_report(
                sessions, since=end - week, until=end, window_s=3600, scope=AuditScope(guardrail_id="bench-0")
            ),
            "drift 7d vs 7d": lambda: drift_report(
                sessions, reference=(end - 2 * week, end - week), current=(end - week, end)
            ),
        }
        out: dict[str, float] = {}
        for name, fn in cases.items():
            out[name] = round(_time(fn, repeat), 3)
            print(f"  {name:18} {out[name]:7.3f} s   from the records (reference)")
        t0 = time.perf_counter()
        hours = catch_up(sessions)
        out["rollup (once)"] = round(time.perf_counter() - t0, 3)
        refresh_statistics(url)
        print(
            f"  rolled up {hours} hour(s) in {out['rollup (once)']:.1f} s (what the scheduler spreads over its ticks)"
        )
        for name, fn in cases.items():
            cold = out[f"{name} (rollups, cold)"] = round(_time(fn, repeat, before=clear_cache), 3)
            warm = out[f"{name} (rollups, cached)"] = round(_time(fn, repeat), 3)
            print(
                f"  {name:18} {cold:7.3f} s cold ({cold / out[name]:.2f}x the reference), "
                f"{warm:.3f} s cached ({warm / out[name]:.2f}x)"
            )
        return out
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="audit records (default 100,000)")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    if not 1 <= args.n <= 10_000_000 or not 1 <= args.days <= 365 or not 1 <= args.repeat <= 100:
        parser.error("--n must be 1..10,000,000, --days 1..365 and --repeat 1..100")
    print(f"{args.n:,} audit records over {args.days} days; {os.cpu_count()} cores")
    rows = audit_rows(args.n, args.days)
    results: dict[str, Any] = {"n": args.n, "days": args.days, "cores": os.cpu_count()}
    for backend in args.backends.split(","):
        print(backend)
        with scratch_database(backend) as url:
            load_audit(url, rows)
            results[backend] = _bench(url, args.days, args.repeat)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
