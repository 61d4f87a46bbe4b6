"""Load on the Bedrock-compatible apply endpoint: requests/s and p50/p99, audit trail on, nothing lost.

    python benchmarks/server_load.py [--duration 10] [--workers 2] [--connections 32]
        [--backends sqlite,postgresql] [--scenarios floor,deterministic,default] [--client auto|wrk|python]
        [--json results.json]

For each database backend (a temporary SQLite file; a fresh PostgreSQL database on
127.0.0.1:5432, dropped afterwards) it starts ``steward serve --workers N`` as a real
subprocess, creates the guardrails, warms every worker up, then drives
``POST /guardrail/{id}/version/1/apply`` for ``--duration`` seconds per scenario:

* ``deterministic`` -- every PII type but NAME masked, AWS keys blocked (regex, checksums; no model);
* ``default`` -- the full ``default`` pack (content filters, prompt attacks, denied topics, PII with names);
* ``floor`` -- the peer: ``GET /about`` on the same server (no key, no database, no guard), the most
  this server process can answer on this machine at this moment.

Texts rotate over a small set of realistic prompts (100-300 characters, some with PII); the
sentence-embedding cache is off (``--embedding-cache 0``) so that rotating texts cost what novel
text costs. The
load comes from ``wrk`` when installed (``apt-get install wrk``), otherwise from a built-in
asyncio client with keep-alive connections. Each scenario uses its own API key, so after a
clean shutdown (which flushes the audit writer) the benchmark counts that key's audit rows and
checks they equal the successful responses: ``lost`` must be 0. Both load and server share the
machine's cores; the figures say how many.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from steward.settings import serve_model_threads

PG_ADMIN = os.environ.get("STEWARD_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")

TEXTS = [
    "Hi, my email is jane.doe@example.com and my phone is +1 415 555 0100. Can you help me reset the "
    "password for the billing portal?",
    "Summarise the attached meeting notes in three bullet points and list the action items with owners.",
    "What is the difference between a Roth IRA and a traditional IRA for someone earning $85,000 a year?",
    "Please send the invoice to accounts@acme-corp.co.uk, reference INV-2291, and copy in "
    "maria.garcia@acme-corp.co.uk. The card on file is 4111 1111 1111 1111.",
    "Write a short, friendly reminder to the team that the quarterly review moved to Thursday at 3pm.",
    "Translate into French: the museum opens at nine and closes at six, except on public holidays.",
    "My server at 192.168.10.24 keeps dropping connections after the upgrade; how do I read the kernel log?",
    "Draft a polite reply declining the vendor's offer but keeping the door open for next year's budget.",
]

DETERMINISTIC_POLICY_TYPES = [
    "ADDRESS", "AGE", "AWS_ACCESS_KEY", "AWS_SECRET_KEY", "CA_HEALTH_NUMBER", "CA_SOCIAL_INSURANCE_NUMBER",
    "CREDIT_DEBIT_CARD_CVV", "CREDIT_DEBIT_CARD_EXPIRY", "CREDIT_DEBIT_CARD_NUMBER", "DRIVER_ID", "EMAIL",
    "INTERNATIONAL_BANK_ACCOUNT_NUMBER", "IP_ADDRESS", "LICENSE_PLATE", "MAC_ADDRESS", "PASSWORD", "PHONE",
    "PIN", "SWIFT_CODE", "UK_NATIONAL_HEALTH_SERVICE_NUMBER", "UK_NATIONAL_INSURANCE_NUMBER",
    "UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER", "URL", "USERNAME", "US_BANK_ACCOUNT_NUMBER", "US_BANK_ROUTING_NUMBER",
    "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER", "US_PASSPORT_NUMBER", "US_SOCIAL_SECURITY_NUMBER",
    "VEHICLE_IDENTIFICATION_NUMBER",
]  # fmt: skip


def deterministic_policy() -> dict[str, Any]:
    """pii-mask without NAME (the one type that needs a model): regexes, checksums, no ML."""
    entities = [
        {"type": t, **({"action": "BLOCK"} if t.startswith("AWS_") else {})}
        for t in DETERMINISTIC_POLICY_TYPES
    ]
    return {
        "name": "bench-deterministic",
        "description": "every PII type except NAME",
        "sensitive_information": {"pii_entities": entities},
    }


def bodies() -> list[bytes]:
    """The request bodies the load rotates over."""
    return [json.dumps({"source": "INPUT", "content": [{"text": {"text": t}}]}).encode() for t in TEXTS]


@dataclass
class Result:
    """One scenario's figures."""

    backend: str
    scenario: str
    client: str
    workers: int
    connections: int
    duration_s: float
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p99_ms: float
    audit_rows: int = -1
    lost: int = -1


# -- load clients ----------------------------------------------------------------------------


def _wrk_script(path: Path, token: str) -> None:
    lines = [
        "local bodies = {",
        *[f"  {json.dumps(b.decode())}," for b in bodies()],
        "}",
        "local i = 0",
        "request = function()",
        "  i = i % #bodies + 1",
        '  return wrk.format("POST", nil, {["Content-Type"]="application/json", '
        f'["Authorization"]="Bearer {token}"}}, bodies[i])',
        "end",
        "done = function(summary, latency, requests)",
        "  local e = summary.errors",
        '  io.write(string.format("RESULT {\\"requests\\":%d,\\"socket_errors\\":%d,\\"p50_us\\":%d,'
        '\\"p99_us\\":%d,\\"duration_us\\":%d}\\n", summary.requests, e.connect + e.read + e.write + e.timeout,'
        " latency:percentile(50), latency:percentile(99), summary.duration))",
        "end",
    ]
    # Errors: wrk's own "Non-2xx or 3xx responses" line (a Lua response() hook would slow wrk down).
    path.write_text("\n".join(lines) + "\n")


def run_wrk(
    url: str, token: str, duration: float, connections: int, work: Path
) -> tuple[int, int, float, float, float]:
    script = work / "load.lua"
    if token:
        _wrk_script(script, token)
    else:  # the floor: a plain GET, reporting only
        _wrk_script(script, "")
        text = script.read_text()
        script.write_text(text[text.index("done = function") :])
    cmd = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{int(duration)}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url,
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    result = json.loads(
        next(line for line in out.splitlines() if line.startswith("RESULT ")).split(" ", 1)[1]
    )
    non2xx = 0
    for line in out.splitlines():
        if "Non-2xx" in line:
            non2xx = int(line.split(":")[1])
    seconds = result["duration_us"] / 1e6
    errors = non2xx + result["socket_errors"]
    return result["requests"], errors, seconds, result["p50_us"] / 1000, result["p99_us"] / 1000


async def _python_load(
    host: str, port: int, path: str, token: str, duration: float, connections: int
) -> tuple[int, int, float, list[float]]:
    requests = [
        (
            f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {token}\r\nContent-Length: {len(b)}\r\n\r\n"
        ).encode()
        + b
        for b in bodies()
    ]
    if not token:
        requests = [f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()]
    latencies: list[float] = []
    errors = 0
    stop_at = time.perf_counter() + duration

    async def connection(offset: int) -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, port)
        i = offset
        while time.perf_counter() < stop_at:
            t0 = time.perf_counter()
            writer.write(requests[i % len(requests)])
            i += 1
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            latencies.append((time.perf_counter() - t0) * 1000)
            if status != 200:
                errors += 1
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection(i) for i in range(connections)))
    return len(latencies), errors, time.perf_counter() - started, latencies


def run_python(
    url: str, token: str, duration: float, connections: int
) -> tuple[int, int, float, float, float]:
    parsed = httpx.URL(url)
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    count, errors, seconds, lat = runner(
        _python_load(parsed.host, parsed.port or 80, parsed.path, token, duration, connections)
    )
    lat.sort()
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else 0.0
    return count, errors, seconds, statistics.median(lat) if lat else 0.0, p99


# -- server and database ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def new_database(backend: str, work: Path) -> tuple[str, str | None]:
    if backend == "sqlite":
        return f"sqlite:///{work / 'bench.db'}", None
    import psycopg

    name = f"steward_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{PG_ADMIN}/test", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG_ADMIN}/{name}", name


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_ADMIN}/test", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def clean_up(proc: subprocess.Popen[bytes] | None, pg_name: str | None, work: Path) -> None:
    """Kill a server still running, drop its PostgreSQL database, remove its data directory."""
    if proc is not None:
        proc.kill()
        proc.wait()
    if pg_name:
        drop_database(pg_name)
    shutil.rmtree(work, ignore_errors=True)


def start_server(url: str, data: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "STEWARD_DATABASE_URL": url, "STEWARD_DATA_DIR": str(data)}
    cmd = [sys.executable, "-c", "from steward.cli import main; main()", "serve", "--port", str(port)]
    cmd += ["--workers", str(workers)]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_ready(base: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise RuntimeError("the server did not become ready")


def run_backend(backend: str, args: argparse.Namespace, client: str) -> list[Result]:
    from steward.app.context import local_app as open_stores
    from steward.audit.search import AuditQuery, count
    from steward.policy import parse_policy

    work = Path(tempfile.mkdtemp(prefix="steward-bench-"))
    os.environ["STEWARD_DATA_DIR"] = str(work)
    url, pg_name = new_database(backend, work)
    results: list[Result] = []
    proc = None
    try:
        with open_stores(url) as stores:
            stores.guardrails.create("bench-det", parse_policy(deterministic_policy()))
            stores.guardrails.create_version("bench-det")
            keys = {s: stores.keys.create("app", name=f"bench {s}") for s in args.scenarios}
            warm_key = stores.keys.create("app", name="bench warm-up")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        proc = start_server(url, work, port, args.workers)
        wait_ready(base)
        guardrails = {"deterministic": "bench-det", "default": "default"}
        for scenario in args.scenarios:
            if scenario == "floor":
                target, token = f"{base}/about", ""
            else:
                target, token = (
                    f"{base}/guardrail/{guardrails[scenario]}/version/1/apply",
                    keys[scenario].bearer,
                )
            # Guards are built at worker start-up; a short warm-up settles caches and connections.
            run_python(target, warm_key.bearer if token else "", 2.0, args.workers * 4)
            if client == "wrk":
                n, errors, seconds, p50, p99 = run_wrk(target, token, args.duration, args.connections, work)
            else:
                n, errors, seconds, p50, p99 = run_python(target, token, args.duration, args.connections)
            results.append(
                Result(backend, scenario, client, args.workers, args.connections, round(seconds, 2), n, errors,
                       round(n / seconds, 1), round(p50, 2), round(p99, 2))
            )  # fmt: skip
            print(f"  {backend:10} {scenario:13} {results[-1].rps:8.1f} req/s  p50 {p50:6.2f} ms  p99 {p99:7.2f} ms"
                  f"  errors {errors}", flush=True)  # fmt: skip
        proc.send_signal(signal.SIGTERM)  # a clean shutdown flushes the audit writers
        proc.wait(120)
        proc = None
        with open_stores(url) as stores:
            for result in results:
                if result.scenario == "floor":
                    result.lost = 0
                    continue
                rows = count(stores.sessions, AuditQuery(caller_key_id=keys[result.scenario].id))
                result.audit_rows = rows
                # Requests in flight when the load stopped are served and audited but not counted by the
                # client, so up to `connections` extra rows are expected; fewer rows than answers is a loss.
                result.lost = max(0, (result.requests - result.errors) - rows)
    finally:
        clean_up(proc, pg_name, work)
    return results


def guard_cost(scenario: str, seconds: float = 3.0) -> float:
    """The guard alone, in this process, on the same texts: milliseconds per text (the peer for the server)."""
    from steward.guard import Guard
    from steward.policy import load_policy, parse_policy

    policy = parse_policy(deterministic_policy()) if scenario == "deterministic" else load_policy("default")
    guard = Guard(policy)
    for text in TEXTS:
        guard.apply(text)
    n, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        guard.apply(TEXTS[n % len(TEXTS)])
        n += 1
    return (time.perf_counter() - started) * 1000 / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per scenario")
    parser.add_argument(
        "--embedding-cache",
        type=int,
        default=0,
        help="sentence vectors each process may reuse (STEWARD_EMBEDDING_CACHE); the default 0 makes every "
        "request pay for its embeddings, as novel text does, although the texts rotate",
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--scenarios", default="floor,deterministic,default")
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    # Servers started below inherit it; so does the in-process guard_cost peer.
    os.environ["STEWARD_EMBEDDING_CACHE"] = str(args.embedding_cache)
    args.scenarios = [s for s in args.scenarios.split(",") if s]
    client = args.client if args.client != "auto" else ("wrk" if shutil.which("wrk") else "python")
    cores = os.cpu_count() or 1
    threads = os.environ.get("STEWARD_MODEL_THREADS") or serve_model_threads(args.workers, cores)
    print(f"# {cores} CPUs, load average {os.getloadavg()[0]:.1f}, client {client}, {args.workers} workers "
          f"({threads} model thread(s) each), {args.connections} connections, {args.duration:.0f} s per scenario")  # fmt: skip
    for scenario in [s for s in args.scenarios if s != "floor"]:
        ms = guard_cost(scenario)
        print(f"  guard alone  {scenario:13} {ms:6.2f} ms/text in one thread -> at most {cores * 1000 / ms:7.0f} req/s "
              f"on {cores} cores with no server at all")  # fmt: skip
    results: list[Result] = []
    for backend in [b for b in args.backends.split(",") if b]:
        results += run_backend(backend, args, client)
    print("\n| backend | scenario | req/s | p50 ms | p99 ms | requests | errors | audit rows | lost |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r.backend} | {r.scenario} | {r.rps:.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.requests} | "
              f"{r.errors} | {r.audit_rows} | {r.lost} |")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2))
    if any(r.errors or r.lost for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
