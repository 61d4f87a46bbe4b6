"""How long each console page takes to render on the server over N audit records, SQLite and PostgreSQL.

    python benchmarks/console_render.py [--n 100000] [--days 7] [--repeat 5]
        [--backends sqlite,postgresql] [--json results.json]

For each backend (a temporary SQLite file; a fresh PostgreSQL database on 127.0.0.1:5432,
dropped afterwards) it migrates the schema, inserts N audit records spread over ``--days``
days (the records of ``benchmarks/monitor_report.py``: 3 guardrails x 2 versions x 2
directions, 15% blocked, 10% masked), builds the real server app on that database, signs in
to the console with an admin key through the sign-in form, and times each page's GET:
the whole request handled in-process (``starlette.testclient``, no network, no browser):
session check, the stores and report functions the page calls, and the template.

Each figure is the median of ``--repeat`` requests after one warm-up request. The issue's
target is under 150 ms per page; pages over it are marked. The machine's cores are shared
with whatever else runs; the figures say how many there are. Inserting is not timed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
from monitor_report import _records  # the same synthetic audit trail as the monitoring benchmark
from sqlalchemy import insert, select
from starlette.testclient import TestClient

from steward.server.app import create_app
from steward.settings import Settings
from steward.store.db import make_engine, upgrade
from steward.store.keys import Role
from steward.store.models.core import AuditRow

PG_HOST = os.environ.get("STEWARD_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
TARGET_MS = 150.0
_CHUNK = 10_000


def _pages(record_id: int) -> dict[str, str]:
    return {
        "overview (day)": "/console/overview?period=day",
        "overview (week)": "/console/overview?period=week",
        "overview (week, one guardrail)": "/console/overview?period=week&guardrail=bench-0",
        "monitoring (day)": "/console/monitoring?period=day",
        "monitoring (week)": "/console/monitoring?period=week",
        "guardrails": "/console/guardrails",
        "audit (first page)": "/console/audit",
        "audit (blocked, one guardrail)": "/console/audit?guardrail=bench-1&action=GUARDRAIL_INTERVENED",
        "audit (by request id)": "/console/audit?request_id=nosuchrequest",
        "audit record": f"/console/audit/{record_id}",
        "review queue": "/console/review",
        "feedback and appeals": "/console/feedback",
        "governance": "/console/governance",
        "keys": "/console/keys",
    }


def _time(client: TestClient, path: str, repeat: int) -> float:
    first = client.get(path)
    if first.status_code != 200:
        raise SystemExit(f"{path}: HTTP {first.status_code}: {first.text[:300]}")
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        client.get(path)
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs) * 1000


def _bench(url: str, rows: list[dict[str, Any]], data_dir: Path, repeat: int) -> dict[str, float]:
    upgrade(url)
    engine = make_engine(url)
    try:
        t0 = time.perf_counter()
        for i in range(0, len(rows), _CHUNK):
            with engine.begin() as conn:
                conn.execute(insert(AuditRow), rows[i : i + _CHUNK])
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "ANALYZE audit_records" if engine.dialect.name == "postgresql" else "ANALYZE"
            )
            record_id = int(conn.scalar(select(AuditRow.id).order_by(AuditRow.id.desc()).limit(1)) or 0)
        print(f"  inserted {len(rows):,} records in {time.perf_counter() - t0:.1f} s (not timed below)")
    finally:
        engine.dispose()
    app = create_app(Settings(database_url=url, data_dir=data_dir))
    try:
        admin = app.state.steward.keys.create(Role.ADMIN, name="bench")
        with TestClient(app, follow_redirects=False) as client:
            form = client.get("/console/sign-in").text
            csrf = re.search(r'name="csrf" value="([^"]+)"', form)
            assert csrf is not None
            signed = client.post("/console/sign-in", data={"csrf": csrf.group(1), "key": admin.bearer})
            if signed.status_code != 303:
                raise SystemExit(f"sign-in failed: HTTP {signed.status_code}")
            out = {}
            for name, path in _pages(record_id).items():
                out[name] = round(_time(client, path, repeat), 1)
                mark = "" if out[name] < TARGET_MS else f"  OVER {TARGET_MS:.0f} ms"
                print(f"  {name:32} {out[name]:8.1f} ms{mark}")
            return out
    finally:
        app.state.steward.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="audit records (default 100,000)")
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    if not 1 <= args.n <= 10_000_000 or not 1 <= args.days <= 365 or not 1 <= args.repeat <= 100:
        parser.error("--n must be 1..10,000,000, --days 1..365 and --repeat 1..100")
    print(
        f"{args.n:,} audit records over {args.days} days; {os.cpu_count()} cores; target < {TARGET_MS:.0f} ms"
    )
    rows = _records(args.n, args.days)
    results: dict[str, Any] = {"n": args.n, "days": args.days, "cores": os.cpu_count(), "targetMs": TARGET_MS}
    for backend in args.backends.split(","):
        print(backend)
        with tempfile.TemporaryDirectory() as tmp:
            if backend == "sqlite":
                results[backend] = _bench(
                    f"sqlite:///{Path(tmp) / 'bench.db'}", rows, Path(tmp) / "data", args.repeat
                )
            elif backend == "postgresql":
                name = f"steward_bench_{uuid.uuid4().hex[:8]}"
                with psycopg.connect(f"{PG_HOST}/test", autocommit=True) as conn:
                    conn.execute(f'CREATE DATABASE "{name}"')
                try:
                    results[backend] = _bench(f"{PG_HOST}/{name}", rows, Path(tmp) / "data", args.repeat)
                finally:
                    with psycopg.connect(f"{PG_HOST}/test", autocommit=True) as conn:
                        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            else:
                parser.error(f"unknown backend {backend!r} (sqlite, postgresql)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
