"""How long a monitoring report over N audit records takes on SQLite and on PostgreSQL.

    python benchmarks/monitor_report.py [--n 100000] [--days 30] [--repeat 3]
        [--backends sqlite,postgresql] [--json results.json]

For each backend (a temporary SQLite file; a fresh PostgreSQL database on 127.0.0.1:5432,
dropped afterwards) it migrates the schema (with the indexes the migrations add), inserts
N audit records spread evenly over ``--days`` days (3 guardrails x 2 versions x 2
directions, 5 application keys; 15% blocked with a content finding, 10% masked with a PII
finding, 75% passed; latencies log-normal around 6 ms; text lengths log-normal), then times:

* ``report 1d`` -- :func:`steward.monitor.report.build_report` over the whole range, one window
  per day (what ``steward monitor report --since <30 days ago> --window 1d`` computes);
* ``report 1h by key`` -- the same with hourly windows, grouped by application key too;
* ``report 7d scoped`` -- one guardrail over the last 7 days, hourly;
* ``drift 7d vs 7d`` -- :func:`steward.monitor.drift.drift_report`, last week against the week before.

The three reports are timed twice: over the records, then, after the hourly rollups are built
(:mod:`steward.store.rollups`; the time to build them is printed), from the rollups (the hours not
yet rolled up, the last one or two, still from the records).

Each figure is the median of ``--repeat`` runs after one warm-up run (the database's cache
warm, as on a server that is in use). Inserting is not timed. The machine's cores are shared
with whatever else runs; the figures say how many there are.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from sqlalchemy import insert

from steward.audit.record import AuditRecord
from steward.monitor.drift import drift_report
from steward.monitor.report import build_report
from steward.monitor.rollups import catch_up
from steward.store.db import make_engine, session_factory, upgrade
from steward.store.models.core import AuditRow
from steward.store.monitor import AuditScope

PG_HOST = os.environ.get("STEWARD_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
_CHUNK = 10_000


def _records(n: int, days: int, seed: int = 0) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    end = datetime.now(UTC).replace(microsecond=0)
    start = end - timedelta(days=days)
    offsets = np.sort(rng.uniform(0, days * 86400, n))
    kinds = rng.uniform(0, 1, n)
    latencies = rng.lognormal(np.log(6), 0.6, n)
    lengths = rng.lognormal(np.log(300), 0.8, n).astype(int)
    guardrails = rng.integers(0, 3, n)
    versions = rng.integers(1, 3, n)
    sources = rng.integers(0, 2, n)
    keys = rng.integers(0, 5, n)
    scores = rng.uniform(0.6, 1.0, n)
    rows = []
    for i in range(n):
        if kinds[i] < 0.15:
            action, reason = "GUARDRAIL_INTERVENED", "blocked by HATE"
            findings: tuple[dict[str, Any], ...] = (
                {
                    "policy": "contentPolicy",
                    "type": "HATE",
                    "action": "BLOCKED",
                    "score": round(float(scores[i]), 4),
                },
            )
        elif kinds[i] < 0.25:
            action, reason = "GUARDRAIL_INTERVENED", "masked EMAIL"
            findings = (
                {
                    "policy": "sensitiveInformationPolicy",
                    "type": "EMAIL",
                    "action": "ANONYMIZED",
                    "score": 1.0,
                },
            )
        else:
            action, reason, findings = "NONE", "", ()
        record = AuditRecord(
            request_id=uuid.uuid4().hex,
            endpoint="apply",
            source=("input", "output")[sources[i]],
            action=action,
            guardrail_id=f"bench-{guardrails[i]}",
            version=str(versions[i]),
            policy_name="bench",
            action_reason=reason,
            findings=findings,
            text_length=int(lengths[i]),
            latency_ms=float(latencies[i]),
            caller_key_id=f"KEY{keys[i]}",
            created_at=start + timedelta(seconds=float(offsets[i])),
        )
        rows.append(record.to_row())
    return rows


def _time(fn: Callable[[], Any], repeat: int) -> float:
    fn()  # warm-up
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs)


def _bench(url: str, rows: list[dict[str, Any]], days: int, repeat: int) -> dict[str, float]:
    upgrade(url)
    engine = make_engine(url)
    try:
        t0 = time.perf_counter()
        for i in range(0, len(rows), _CHUNK):
            with engine.begin() as conn:
                conn.execute(insert(AuditRow), rows[i : i + _CHUNK])
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE audit_records")
        else:
            with engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
        print(f"  inserted {len(rows):,} records in {time.perf_counter() - t0:.1f} s (not timed below)")
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
            print(f"  {name:18} {out[name]:.3f} s   (from the records)")
        t0 = time.perf_counter()
        hours = catch_up(sessions)
        out["rollup (once)"] = round(time.perf_counter() - t0, 3)
        print(
            f"  rolled up {hours} hour(s) in {out['rollup (once)']:.1f} s (what the scheduler spreads over its ticks)"
        )
        for name, fn in cases.items():
            if name.startswith("report"):
                out[f"{name} (rollups)"] = round(_time(fn, repeat), 3)
                print(
                    f"  {name:18} {out[f'{name} (rollups)']:.3f} s   (hourly rollups, the open hours from the records)"
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
    if not 1 <= args.n <= 10_000_000 or not 1 <= args.days <= 365:
        parser.error("--n must be 1..10,000,000 and --days 1..365")
    print(f"{args.n:,} audit records over {args.days} days; {os.cpu_count()} cores")
    rows = _records(args.n, args.days)
    results: dict[str, Any] = {"n": args.n, "days": args.days, "cores": os.cpu_count()}
    for backend in args.backends.split(","):
        print(backend)
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                results[backend] = _bench(f"sqlite:///{Path(tmp) / 'bench.db'}", rows, args.days, args.repeat)
        elif backend == "postgresql":
            name = f"steward_bench_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(f"{PG_HOST}/test", autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            try:
                results[backend] = _bench(f"{PG_HOST}/{name}", rows, args.days, args.repeat)
            finally:
                with psycopg.connect(f"{PG_HOST}/test", autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            parser.error(f"unknown backend {backend!r} (sqlite, postgresql)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
