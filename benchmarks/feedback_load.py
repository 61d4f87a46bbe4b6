"""End users' feedback and appeals at a fixed rate: what a server answers, and that nothing is lost.

    python benchmarks/feedback_load.py [--rate 1000] [--duration 10] [--workers 1]
        [--backends sqlite,postgresql] [--connections 64] [--json results.json]

For each database backend (a temporary SQLite file; a fresh PostgreSQL database on
127.0.0.1:5432, dropped afterwards) it starts ``steward serve --workers N`` as a real subprocess
(default settings: the alert scheduler and the retention purge on), creates an ``app`` key and
one decision for the appeals to name, then measures, one after the other on the same server:

* **reference** -- ``GET /health`` as fast as ``--connections`` keep-alive connections can go for
  3 s: the most this server answers on this machine at this moment (no key, no body, no database);
* **feedback, flat out** -- ``POST /v1/feedback`` the same way for 3 s (the route's own ceiling),
  every request about the one decision (after the first, its request id is checked in memory);
* **feedback on unseen decisions, flat out** -- the same, each request about a decision of its
  own (``--unseen`` of them, written to the audit trail before the server starts), so each one's
  request id is read from the database (in a worker thread): what the check costs at its dearest;
* **paced** -- ``POST /v1/feedback`` and ``POST /v1/appeals`` (nine to one) sent at ``--rate`` per
  second for ``--duration`` seconds: request *i* is due at *i / rate* and goes out on the next
  free connection once due (open loop: a server that falls behind shows as requests sent late,
  and a lower achieved rate, not as a gentler client).

Each phase also reports the CPU time the server's processes spent per answered request (Linux
``/proc``), which other work on the machine disturbs far less than requests per second. After a
clean shutdown (SIGTERM: the writers store what they hold) it counts the feedback and appeal
rows of this run's key: ``lost`` = 2xx answers - rows, which must be 0. The load generator is a
small asyncio client (uvloop when installed) on the same cores as the server; the figures say
how many cores there are.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from server_load import clean_up, free_port, new_database, start_server, wait_ready

POLICY = {"name": "feedback-bench", "word_filters": {"words": ["grapefruit"], "action": "BLOCK"}}


@dataclass
class Phase:
    """One measured phase: requests answered, how fast, and how late the paced ones went out."""

    name: str
    seconds: float
    answered: int
    ok: int
    statuses: dict[str, int] = field(default_factory=dict)
    rps: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    scheduled: int = 0
    late_p99_ms: float = 0.0
    #: CPU time the server's processes spent per answered request: steadier than requests per
    #: second on a machine other work shares (it does not count time spent waiting for a core).
    server_cpu_ms: float = 0.0


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and every process below it (Linux ``/proc``)."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
        todo.extend(_children(current))
    return total / os.sysconf("SC_CLK_TCK")


def _request(host: str, port: int, method: str, path: str, token: str, body: bytes) -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
    if token:
        head += f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
    if body:
        head += f"Content-Length: {len(body)}\r\n"
    return (head + "\r\n").encode() + body


def unseen_decisions(app: Any, key_id: str, n: int) -> list[str]:
    """``n`` decisions made for ``key_id``, written straight to the audit trail (not timed)."""
    from sqlalchemy import insert

    from steward.audit.record import AuditRecord
    from steward.store.models.core import AuditRow

    ids = [uuid.uuid4().hex for _ in range(n)]
    for start in range(0, n, 5000):
        rows = [
            AuditRecord(
                request_id=r, endpoint="apply", source="input", action="NONE", guardrail_id="bench",
                version="1", caller_key_id=key_id,
            ).to_row()
            for r in ids[start : start + 5000]
        ]  # fmt: skip
        with app.sessions.begin() as session:
            session.execute(insert(AuditRow), rows)
    return ids


def voice_requests(host: str, port: int, token: str, decision: str, n: int) -> list[bytes]:
    """``n`` requests, nine pieces of feedback to one appeal (each with its own end user)."""
    out = []
    for i in range(n):
        if i % 10 == 9:
            body = {"requestId": decision, "reason": f"appeal {i}", "userId": f"user-{i % 997}"}
            out.append(_request(host, port, "POST", "/v1/appeals", token, json.dumps(body).encode()))
        else:
            body = {
                "requestId": decision,
                "rating": 1 + i % 5,
                "category": "too_strict",
                "userId": f"u{i % 97}",
            }
            out.append(_request(host, port, "POST", "/v1/feedback", token, json.dumps(body).encode()))
    return out


async def _drive(
    host: str, port: int, requests: list[bytes], connections: int, *, rate: float | None, duration: float
) -> Phase:
    """Send ``requests`` over keep-alive connections: paced at ``rate``/s, or flat out for ``duration`` s."""
    latencies: list[float] = []
    lateness: list[float] = []
    statuses: dict[str, int] = {}
    nxt = 0
    started = time.perf_counter()
    stop_at = started + duration

    async def connection() -> None:
        nonlocal nxt
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while True:
                i = nxt
                if i >= len(requests) or (rate is None and time.perf_counter() >= stop_at):
                    return
                nxt += 1
                if rate is not None:
                    due = started + i / rate
                    wait = due - time.perf_counter()
                    if wait > 0:
                        await asyncio.sleep(wait)
                    lateness.append(max(0.0, time.perf_counter() - due) * 1000)
                sent = time.perf_counter()
                writer.write(requests[i])
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                await reader.readexactly(length)
                latencies.append((time.perf_counter() - sent) * 1000)
                status = head[9:12].decode()
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(connections)))
    seconds = time.perf_counter() - started
    latencies.sort()
    lateness.sort()
    ok = sum(n for s, n in statuses.items() if s.startswith("2"))
    return Phase(
        name="",
        seconds=round(seconds, 2),
        answered=len(latencies),
        ok=ok,
        statuses=statuses,
        rps=round(len(latencies) / seconds, 1),
        p50_ms=round(statistics.median(latencies), 2) if latencies else 0.0,
        p99_ms=round(latencies[int(len(latencies) * 0.99)], 2) if latencies else 0.0,
        scheduled=len(requests) if rate is not None else 0,
        late_p99_ms=round(lateness[int(len(lateness) * 0.99)], 1) if lateness else 0.0,
    )


def drive(
    host: str, port: int, requests: list[bytes], connections: int, *, rate: float | None, duration: float
) -> Phase:
    try:
        import uvloop

        return uvloop.run(_drive(host, port, requests, connections, rate=rate, duration=duration))
    except ImportError:
        return asyncio.run(_drive(host, port, requests, connections, rate=rate, duration=duration))


def run_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    from sqlalchemy import func, select

    from steward.app.context import local_app
    from steward.policy import parse_policy
    from steward.store.models.review import Appeal, Feedback

    work = Path(tempfile.mkdtemp(prefix="steward-feedback-bench-"))
    os.environ["STEWARD_DATA_DIR"] = str(work)
    os.environ["STEWARD_WARM_GUARDS"] = "0"  # the guardrail here is a word list: no model to load first
    url, pg_name = new_database(backend, work)
    proc = None
    try:
        with local_app(url, create=True) as app:
            app.guardrails.create("bench", parse_policy(POLICY))
            app.guardrails.create_version("bench")
            key = app.keys.create("app", name="feedback bench")
            unseen = unseen_decisions(app, key.id, args.unseen)
        port = free_port()
        host, base = "127.0.0.1", f"http://127.0.0.1:{port}"
        proc = start_server(url, work, port, args.workers)
        wait_ready(base)
        auth = {"Authorization": f"Bearer {key.bearer}"}
        body = {"source": "INPUT", "content": [{"text": {"text": "I like grapefruit"}}]}
        decision = httpx.post(f"{base}/guardrail/bench/version/1/apply", json=body, headers=auth).json()
        decision_id = decision["steward"]["requestId"]
        time.sleep(1.0)  # the audit writer stores the decision the appeals name
        health = _request(host, port, "GET", "/health", "", b"")
        flat = voice_requests(host, port, key.bearer, decision_id, 40_000)
        flat = [r for i, r in enumerate(flat) if i % 10 != 9]  # feedback only
        fresh = [voice_requests(host, port, key.bearer, rid, 1)[0] for rid in unseen]  # one each
        drive(host, port, [health] * 2000, 16, rate=None, duration=1.0)  # warm-up
        phases = []
        for name, requests, rate, duration in (
            ("health, flat out", [health] * 200_000, None, 3.0),
            ("feedback, flat out", flat, None, 3.0),
            ("feedback on unseen decisions, flat out", fresh, None, 3.0),
            (
                f"feedback+appeals paced at {args.rate}/s",
                voice_requests(host, port, key.bearer, decision_id, int(args.rate * args.duration)),
                float(args.rate),
                args.duration,
            ),
        ):
            cpu_before = cpu_seconds(proc.pid)
            phase = drive(host, port, requests, args.connections, rate=rate, duration=duration)
            phase.server_cpu_ms = round(
                (cpu_seconds(proc.pid) - cpu_before) * 1000 / max(1, phase.answered), 3
            )
            phase.name = name
            phases.append(phase)
            print(
                f"  {backend:10} {name:40} {phase.rps:8.1f} req/s  p50 {phase.p50_ms:6.2f} ms  p99 {phase.p99_ms:7.2f} ms"
                f"  server CPU {phase.server_cpu_ms:.2f} ms/request  statuses {phase.statuses}"
                + (f"  sent late p99 {phase.late_p99_ms:.0f} ms" if rate else ""),
                flush=True,
            )
        proc.send_signal(signal.SIGTERM)  # a clean shutdown: the writers store what they hold
        proc.wait(120)
        proc = None
        with local_app(url) as app, app.sessions() as session:
            stored = sum(
                int(session.scalar(select(func.count()).select_from(t).where(t.caller_key_id == key.id)) or 0)
                for t in (Feedback, Appeal)
            )
        answered_ok = sum(p.ok for p in phases if p.name != "health, flat out")
        return {
            "backend": backend,
            "workers": args.workers,
            "connections": args.connections,
            "cores": os.cpu_count(),
            "phases": [asdict(p) for p in phases],
            "feedback_vs_health": round(phases[1].rps / phases[0].rps, 3),
            "feedback_cpu_vs_health": round(phases[1].server_cpu_ms / max(phases[0].server_cpu_ms, 1e-9), 3),
            "unseen_vs_health": round(phases[2].rps / phases[0].rps, 3),
            "unseen_cpu_vs_health": round(phases[2].server_cpu_ms / max(phases[0].server_cpu_ms, 1e-9), 3),
            "paced_achieved_vs_asked": round(phases[3].rps / args.rate, 3),
            "ok_answers": answered_ok,
            "rows_stored": stored,
            "lost": answered_ok - stored,
        }
    finally:
        clean_up(proc, pg_name, work)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=int, default=1000, help="feedback and appeal requests per second")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of paced load")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument(
        "--unseen",
        type=int,
        default=30_000,
        help="decisions for the unseen-decisions phase, one request each",
    )
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--json", type=Path, help="write the results here too")
    args = parser.parse_args()
    results = []
    for backend in args.backends.split(","):
        result = run_backend(backend.strip(), args)
        results.append(result)
        print(
            f"{backend}: feedback flat out = {result['feedback_vs_health']:.2f} x /health's rate, "
            f"{result['feedback_cpu_vs_health']:.2f} x its server CPU per request; on unseen decisions "
            f"{result['unseen_vs_health']:.2f} x its rate, {result['unseen_cpu_vs_health']:.2f} x its CPU; paced "
            f"{result['paced_achieved_vs_asked']:.2f} x the asked rate; {result['ok_answers']} ok answers, "
            f"{result['rows_stored']} rows, lost {result['lost']} ({result['cores']} cores, load generator on them too)",
            flush=True,
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    sys.exit(main())
