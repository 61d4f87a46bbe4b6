"""What operating costs: the apply path with review routing and monitoring on against without,
and feedback/appeal requests at a fixed rate with nothing lost.

    python benchmarks/operate_overhead.py [--requests 1500] [--rate 1000] [--duration 10]

Two ``steward serve`` processes (one worker each, SQLite files, temporary data directories) run
side by side on loopback:

* **off** -- guardrail ``plain`` (a word filter, e-mail addresses masked), the alert scheduler off
  (``STEWARD_ALERT_INTERVAL_S=0``);
* **on** -- guardrail ``reviewed``: the same rules plus a HATE content filter with a review band,
  e-mail addresses to ``REVIEW``, 1% sampled audit of passed traffic, in front of a consequential
  system (1% of its decisions reviewed); the alert scheduler evaluating two rules every second.

Both serve Prometheus ``/metrics`` (its counters cannot be turned off). ``POST /apply`` requests
alternate between the two servers one by one from a single client, so both see the same machine
at the same moment; the figure is the ratio of mean and median latency (on / off). The content
filter runs in both arms (the ``plain`` policy has it too, without a band), so the ratio is the
cost of routing and monitoring, not of a model.

Then ``POST /v1/feedback`` and ``POST /v1/appeals`` (nine to one) are paced at ``--rate`` per
second for ``--duration`` seconds to the *on* server, at most ``--in-flight`` waiting at once (a
server that cannot keep up shows as a lower achieved rate and requests not sent, never as
client time-outs); after a clean shutdown the benchmark counts the rows stored and compares
them with the 2xx answers: ``lost`` must be 0. The load generator shares the machine's cores
with the server; the achieved rate is printed as measured.
"""

from __future__ import annotations

import argparse
import asyncio
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

    def __init__(self, root: Path, name: str, policy: dict[str, Any], *, monitoring: bool) -> None:
        self.data = root / name
        self.data.mkdir()
        self.env = {**os.environ, "STEWARD_DATA_DIR": str(self.data), "STEWARD_WARM_GUARDS": "1"}
        self.env.pop("STEWARD_DATABASE_URL", None)
        self.env["STEWARD_ALERT_INTERVAL_S"] = "1" if monitoring else "0"
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
    with httpx.Client(trust_env=False, timeout=30) as client:
        for i in range(n + 50):
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
    out: dict[str, Any] = {"requests_per_arm": n}
    for arm, values in times.items():
        out[arm] = {"mean_ms": statistics.fmean(values), "p50_ms": statistics.median(values)}
    out["ratio_mean"] = out["on"]["mean_ms"] / out["off"]["mean_ms"]
    out["ratio_p50"] = out["on"]["p50_ms"] / out["off"]["p50_ms"]
    return out


async def voice_load(server: Server, request_id: str, rate: int, duration: float, cap: int) -> dict[str, Any]:
    """Feedback (9 in 10) and appeals paced at ``rate``/s, at most ``cap`` in flight.

    When ``cap`` requests are waiting the generator sends nothing more until one answers, so an
    overloaded server shows as a lower achieved rate (and ``not_sent``), not as a pile of
    client-side time-outs; every request sent gets its answer or its error counted.
    """
    sent = ok = failed = 0
    statuses: dict[str, int] = {}
    limits = httpx.Limits(max_connections=cap, max_keepalive_connections=cap)
    async with httpx.AsyncClient(base_url=server.base, limits=limits, timeout=60, trust_env=False) as client:
        headers = server.auth(server.app)

        async def one(i: int) -> None:
            nonlocal ok, failed
            if i % 10 == 9:
                path = "/v1/appeals"
                body: dict[str, Any] = {
                    "requestId": request_id,
                    "reason": f"appeal {i}",
                    "userId": f"u{i % 97}",
                }
            else:
                path, body = (
                    "/v1/feedback",
                    {"requestId": request_id, "rating": 1 + i % 5, "category": "too_strict"},
                )
            try:
                r = await client.post(path, json=body, headers=headers)
                statuses[str(r.status_code)] = statuses.get(str(r.status_code), 0) + 1
                ok += r.is_success
                failed += not r.is_success
            except httpx.TransportError as exc:
                statuses[type(exc).__name__] = statuses.get(type(exc).__name__, 0) + 1
                failed += 1

        tasks: set[asyncio.Task[None]] = set()
        started = time.perf_counter()
        while (elapsed := time.perf_counter() - started) < duration:
            due = int(elapsed * rate)
            while sent < due and len(tasks) < cap:
                task = asyncio.create_task(one(sent))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                sent += 1
            await asyncio.sleep(0.002)
        await asyncio.gather(*tasks)
        all_s = time.perf_counter() - started
    return {
        "scheduled": int(duration * rate),
        "sent": sent,
        "not_sent": int(duration * rate) - sent,
        "ok": ok,
        "failed": failed,
        "statuses": statuses,
        "achieved_rate": ok / all_s,
        "seconds_to_last_answer": all_s,
        "in_flight_cap": cap,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=1500, help="apply requests per arm")
    parser.add_argument("--rate", type=int, default=1000, help="feedback/appeal requests per second")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument(
        "--in-flight", type=int, default=32, help="most feedback/appeal requests waiting at once"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="steward-operate-bench-") as tmp:
        root = Path(tmp)
        off = Server(root, "plain", BASE_POLICY, monitoring=False)
        on = Server(root, "reviewed", REVIEWED_POLICY, monitoring=True)
        try:
            overhead = apply_overhead(off, on, args.requests)
            print(
                f"apply, review routing + monitoring on / off: mean {overhead['on']['mean_ms']:.2f} / "
                f"{overhead['off']['mean_ms']:.2f} ms = {overhead['ratio_mean']:.3f}; "
                f"p50 {overhead['on']['p50_ms']:.2f} / {overhead['off']['p50_ms']:.2f} ms = {overhead['ratio_p50']:.3f} "
                f"({args.requests} requests per arm, alternating)"
            )
            r = httpx.post(
                f"{on.base}/guardrail/reviewed/version/1/apply",
                json={"source": "INPUT", "content": [{"text": {"text": "I like grapefruit"}}]},
                headers=on.auth(on.app),
                trust_env=False,
            )
            request_id = r.json()["steward"]["requestId"]
            time.sleep(1.5)  # the audit writer stores the decision the appeals name
            feedback_before = on.count("SELECT COUNT(*) FROM feedback")
            appeals_before = on.count("SELECT COUNT(*) FROM appeals")
            load = asyncio.run(voice_load(on, request_id, args.rate, args.duration, args.in_flight))
        finally:
            off.stop()
            on.stop()
        stored = (on.count("SELECT COUNT(*) FROM feedback") - feedback_before) + (
            on.count("SELECT COUNT(*) FROM appeals") - appeals_before
        )
        load["stored"] = stored
        load["lost"] = load["ok"] - stored
        print(
            f"feedback+appeals: asked {args.rate}/s for {args.duration:.0f} s ({load['scheduled']} requests); "
            f"sent {load['sent']} (at most {args.in_flight} in flight, {load['not_sent']} not sent), "
            f"{load['ok']} ok, {load['failed']} failed {load['statuses']}, achieved {load['achieved_rate']:.0f}/s; "
            f"{stored} rows stored, lost {load['lost']} (cores: {os.cpu_count()}, load generator on the same cores)"
        )
        print(json.dumps({"apply": overhead, "voice": load}, indent=2))


if __name__ == "__main__":
    main()
