"""What operating costs on the request path: the apply path with review routing and monitoring on,
against the same apply path without them, in the same run.

    python benchmarks/operate_overhead.py [--requests 1500] [--alert-interval 60]

Two ``steward serve`` processes (one worker each, SQLite files, temporary data directories) run
side by side on loopback:

* **off** -- guardrail ``plain`` (a word filter, e-mail addresses masked), the alert scheduler and
  the retention purge off;
* **on** -- guardrail ``reviewed``: the same rules plus a HATE content filter with a review band,
  e-mail addresses to ``REVIEW`` (one text in six is queued), 1% sampled audit of passed
  traffic, in front of a consequential system (1% of its decisions reviewed); two alert rules
  evaluated every ``--alert-interval`` seconds (default 60, the server's own default; 1 is a
  stress setting: the evaluation then runs sixty times as often as a default server's) and
  the purge on.

Both serve Prometheus ``/metrics`` (its counters cannot be turned off). ``POST /apply`` requests
alternate between the two servers one by one from a single client, so both see the same machine
at the same moment; the figures are the ratios (on / off) of mean, median and 5%-trimmed mean
latency, and of the CPU time each server process spent per request (all its threads: the review
writer's, the alert scheduler's), which the other work on a shared machine disturbs least. The content
filter runs in both arms (the ``plain`` policy has it too, without a band), so the ratio is the
cost of routing and monitoring, not of a model. Review items are stored by the server's review
writer off the request path; at the end the benchmark checks that every text that needed a
person has its item (items stored after a clean shutdown). Last, in this process, what one such
decision costs the request: its item stored at once from a worker thread (sealed, inserted,
committed: how the server did it before the review writer) against put on the writer's queue.

The throughput of end users' feedback and appeals is measured by ``benchmarks/feedback_load.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from feedback_load import cpu_seconds
from sqlalchemy import create_engine, text

STEWARD = str(Path(sys.executable).with_name("steward"))
TEXTS = [
    "Where is my order 4471? It was due on Monday.",
    "Can I return a jacket I bought three weeks ago without the receipt?",
    "Please send the invoice to maria.lopez@example.com, thanks.",
    "I like grapefruit juice in the morning.",
    "What are your opening hours on public holidays?",
    "My package arrived damaged, the box was crushed and the glass inside broke.",
]
BASE_POLICY: dict[str, Any] = {
    "content_filters": [{"category": "HATE", "input_strength": "MEDIUM"}],
    "word_filters": {"words": ["grapefruit"], "action": "BLOCK"},
    "sensitive_information": {"pii_entities": [{"type": "EMAIL", "action": "ANONYMIZE"}]},
}
REVIEWED_POLICY: dict[str, Any] = {
    "review_answer": "ORIGINAL",
    "review": {"audit_sample_rate": 0.01, "consequential_sample_rate": 0.01, "four_eyes": "NEVER"},
    "content_filters": [
        {"category": "HATE", "input_strength": "MEDIUM", "review_band": {"low": 0.4, "high": 0.6}}
    ],
    "word_filters": {"words": ["grapefruit"], "action": "BLOCK"},
    "sensitive_information": {"pii_entities": [{"type": "EMAIL", "action": "REVIEW"}]},
}
SYSTEM = """id: shop
name: Shop assistant
version: "1.0"
owner: Care
description: Decides small refunds.
use_cases: [{name: Refunds, business_problem: Waiting, workflow: Ask and answer, key_inputs: [message], key_outputs: [answer]}]
intended_uses: [Refunds under 50 EUR.]
foreseeable_misuses: [Legal advice.]
stakeholders: [{name: shoppers, kind: user}]
org_role: deployer
eu_ai_act_role: deployer
eu_ai_act_tier: limited
human_oversight: human-on-the-loop
consequential_domains: [financial-advice]
languages: [en]
regions: [EU]
guardrails: [{id: reviewed, version: "1"}]
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([STEWARD, *args], env=env, capture_output=True, text=True, check=True)
    return done.stdout


class Server:
    """One ``steward serve`` with its data directory, keys and guardrail."""

    def __init__(
        self, root: Path, name: str, policy: dict[str, Any], *, monitoring: bool, alert_interval: float = 60
    ) -> None:
        self.data = root / name
        self.data.mkdir()
        self.env = {**os.environ, "STEWARD_DATA_DIR": str(self.data), "STEWARD_WARM_GUARDS": "1"}
        self.env.pop("STEWARD_DATABASE_URL", None)
        self.env["STEWARD_ALERT_INTERVAL_S"] = str(alert_interval) if monitoring else "0"
        self.env["STEWARD_REVIEW_PURGE_INTERVAL_S"] = "60" if monitoring else "0"

        def key(role: str) -> str:
            made = json.loads(cli(self.env, "keys", "create", "--role", role, "--json", "--init"))
            return f"{made['id']}.{made['secret']}"

        self.app, self.admin = key("app"), key("admin")
        policy_file = self.data / "policy.json"
        policy_file.write_text(json.dumps({"name": name, **policy}))
        cli(self.env, "guardrail", "create", name, "--policy", str(policy_file))
        cli(self.env, "guardrail", "version", name)
        if monitoring:
            (self.data / "system.yaml").write_text(SYSTEM)
            cli(self.env, "system", "add", str(self.data / "system.yaml"))
        self.name = name
        self.port = free_port()
        self.proc = subprocess.Popen(
            [STEWARD, "serve", "--port", str(self.port)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{self.base}/health", timeout=2, trust_env=False).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise SystemExit(f"server {name} did not start")
            time.sleep(0.2)
        if monitoring:
            for rule in (
                {"id": "blocks", "metric": "block_rate", "comparison": ">", "threshold": 0.9, "window": 60},
                {
                    "id": "drift",
                    "metric": "text_length_psi",
                    "comparison": ">=",
                    "threshold": 0.25,
                    "window": 60,
                },
            ):
                r = httpx.post(
                    f"{self.base}/v1/monitor/rules", json=rule, headers=self.auth(self.admin), trust_env=False
                )
                r.raise_for_status()

    def auth(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)  # a clean shutdown flushes the audit writer
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()

    def count(self, sql: str) -> int:
        engine = create_engine(f"sqlite:///{self.data / 'steward.db'}")
        try:
            with engine.connect() as conn:
                return int(conn.execute(text(sql)).scalar_one())
        finally:
            engine.dispose()


def apply_overhead(off: Server, on: Server, n: int) -> dict[str, Any]:
    """Alternate apply requests between the two servers; latency in ms per arm."""
    times: dict[str, list[float]] = {"off": [], "on": []}
    cpu: dict[str, float] = {}
    with httpx.Client(trust_env=False, timeout=30) as client:
        for i in range(n + 50):
            if i == 50:  # after the warm-up
                cpu = {"off": -cpu_seconds(off.proc.pid), "on": -cpu_seconds(on.proc.pid)}
            for arm, server in (("off", off), ("on", on)) if i % 2 == 0 else (("on", on), ("off", off)):
                body = {"source": "INPUT", "content": [{"text": {"text": TEXTS[i % len(TEXTS)]}}]}
                started = time.perf_counter()
                r = client.post(
                    f"{server.base}/guardrail/{server.name}/version/1/apply",
                    json=body,
                    headers=server.auth(server.app),
                )
                took = (time.perf_counter() - started) * 1000
                r.raise_for_status()
                if i >= 50:  # warm-up
                    times[arm].append(took)
    cpu["off"] += cpu_seconds(off.proc.pid)
    cpu["on"] += cpu_seconds(on.proc.pid)
    out: dict[str, Any] = {"requests_per_arm": n}
    for arm, values in times.items():
        ordered = sorted(values)
        cut = len(ordered) // 20  # 5% off each end: the other work on the machine, not this server
        out[arm] = {
            "mean_ms": statistics.fmean(values),
            "p50_ms": statistics.median(values),
            "trimmed_mean_ms": statistics.fmean(ordered[cut : len(ordered) - cut]),
        }
        out[arm]["cpu_ms"] = cpu[arm] * 1000 / n  # the server's CPU per request, every thread of it
    for stat in ("mean", "p50", "trimmed_mean", "cpu"):
        out[f"ratio_{stat}"] = out["on"][f"{stat}_ms"] / out["off"][f"{stat}_ms"]
    return out


def queueing_cost(n: int) -> dict[str, float]:
    """What one decision that needs a person costs the request, in this process on a SQLite file:
    storing its item at once from a worker thread (sealing, insert, commit: how the server did it
    before the review writer) against putting it on the review writer's queue (how it does now;
    the writer's thread is held meanwhile, so this is the request's own time, and its CPU is in
    the servers' CPU ratio above). Microseconds per decision, the same items, the same run."""
    import threading

    import anyio
    import anyio.to_thread

    from steward.app.context import local_app
    from steward.guard import Guard
    from steward.policy import parse_policy
    from steward.review import ReviewQueue
    from steward.review.writer import ReviewWriter
    from steward.store.review import NewRow, ReviewStore

    policy = parse_policy({"name": "r", **REVIEWED_POLICY})
    text = TEXTS[2]  # an e-mail address: marked for review
    assessment = Guard(policy).apply(text, "input")  # type: ignore[arg-type]
    with tempfile.TemporaryDirectory(prefix="steward-queueing-") as tmp:
        os.environ["STEWARD_DATA_DIR"] = tmp
        with local_app(f"sqlite:///{Path(tmp) / 'q.db'}", create=True) as app:
            store = ReviewStore(app.sessions, app.keys.sealer)
            queue, gate = ReviewQueue(store), threading.Event()

            class Held:
                def write(self, rows: list[NewRow]) -> None:
                    gate.wait()
                    store.write(rows)

            writer = ReviewWriter(Held())  # type: ignore[arg-type]

            def item() -> Any:
                return queue.routed(
                    assessment, text, policy, request_id="r", guardrail_id="g", version="1", actor="k"
                )

            async def measure() -> dict[str, float]:
                await anyio.to_thread.run_sync(queue.add, item())  # the day's data key, made once
                runs: dict[str, list[float]] = {"direct_write_us": [], "writer_put_us": []}
                for name in ("direct_write_us", "writer_put_us") * 5:  # alternating, five times each
                    gate.clear()
                    started = time.perf_counter()
                    for _ in range(n):
                        if name == "direct_write_us":
                            await anyio.to_thread.run_sync(queue.add, item())
                        else:
                            await writer.put(item())
                    runs[name].append((time.perf_counter() - started) / n * 1e6)
                    gate.set()
                    writer.flush(60)
                # The median of five: a moment the machine gave to other work moves one run, not the figure.
                return {name: statistics.median(values) for name, values in runs.items()}

            result = anyio.run(measure)
            writer.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=1500, help="apply requests per arm")
    parser.add_argument(
        "--alert-interval", type=float, default=60.0, help="seconds between alert evaluations (on arm)"
    )
    parser.add_argument("--queueing", type=int, default=200, help="items per run in the queueing measure")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="steward-operate-bench-") as tmp:
        root = Path(tmp)
        off = Server(root, "plain", BASE_POLICY, monitoring=False)
        on = Server(root, "reviewed", REVIEWED_POLICY, monitoring=True, alert_interval=args.alert_interval)
        try:
            overhead = apply_overhead(off, on, args.requests)
        finally:
            off.stop()
            on.stop()
        needs_review = sum(1 for i in range(args.requests + 50) if "@" in TEXTS[i % len(TEXTS)])
        overhead["items_stored"] = on.count("SELECT COUNT(*) FROM review_items")
        overhead["texts_needing_review"] = needs_review
        print(
            f"apply, review routing + monitoring on / off: mean {overhead['on']['mean_ms']:.2f} / "
            f"{overhead['off']['mean_ms']:.2f} ms = {overhead['ratio_mean']:.3f}; "
            f"p50 {overhead['on']['p50_ms']:.2f} / {overhead['off']['p50_ms']:.2f} ms = {overhead['ratio_p50']:.3f}; "
            f"5%-trimmed mean {overhead['ratio_trimmed_mean']:.3f}; server CPU per request "
            f"{overhead['on']['cpu_ms']:.2f} / {overhead['off']['cpu_ms']:.2f} ms = {overhead['ratio_cpu']:.3f} "
            f"({args.requests} requests per arm, alternating; alerts every {args.alert_interval:g} s; "
            f"{overhead['items_stored']} items stored for {needs_review} texts that needed a person, "
            f"plus the sampled ones)"
        )
    cost = queueing_cost(args.queueing)
    print(
        f"one decision that needs a person, on the request path: stored at once {cost['direct_write_us']:.0f} us, "
        f"queued for the review writer {cost['writer_put_us']:.1f} us "
        f"({cost['direct_write_us'] / cost['writer_put_us']:.0f}x less; median of 5 runs of {args.queueing} items each way, "
        "alternating, same run)"
    )
    print(
        json.dumps({"apply": overhead, "alert_interval_s": args.alert_interval, "queueing": cost}, indent=2)
    )


if __name__ == "__main__":
    main()
