"""The worked example of operating a guarded AI system: review, appeal, evaluation, drift, metrics.

    python examples/operate/run.py --work operate-work

Everything runs on this machine: a fake OpenAI-compatible model (``fake_upstream.py``), a webhook
receiver and ``steward serve``, all on loopback ports. Each step prints what happened and the
whole run is recorded in ``<work>/summary.json``; a step whose outcome is not the expected one
stops the run with exit code 1. Re-running into the same folder starts from a fresh data
directory (``<work>/data``), so it always tells the same story. It takes about 90 seconds: the
drift alert compares one 60-second window of traffic with the one before it.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from steward.monitor.webhooks import verify_signature

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from fake_upstream import start as start_upstream  # noqa: E402 (beside this script)

#: The drift rule's window: the shortest Steward accepts.
WINDOW_S = 60
SHORT = ["Where is my order?", "Can I get a refund?", "When do you open?", "Is it in stock?", "Thanks!"]
LONG = (
    "I ordered a winter coat three weeks ago and it still has not arrived although the tracking page "
    "says it was delivered to a neighbour I have never met; could you please look into it and tell me "
    "whether I should wait, ask for a replacement or simply get my money back for order number {n}?"
)


class StepFailedError(Exception):
    """A step did not end as the example expects."""


def check(condition: bool, what: str) -> None:
    if not condition:
        raise StepFailedError(what)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Hooks:
    """A webhook receiver that keeps every alert whose HMAC signature verifies."""

    def __init__(self, secret: bytes) -> None:
        self.secret = secret
        self.alerts: list[dict[str, Any]] = []
        self.refused = 0
        hooks = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                if verify_signature(hooks.secret, dict(self.headers.items()), body):
                    hooks.alerts.append(json.loads(body))
                    self.send_response(204)
                else:
                    hooks.refused += 1
                    self.send_response(401)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def steward(*args: str, env: dict[str, str]) -> str:
    """Run the ``steward`` command (the one beside this Python) and return its standard output."""
    exe = Path(sys.executable).with_name("steward")
    done = subprocess.run([str(exe), *args], env=env, capture_output=True, text=True, timeout=300)  # noqa: S603
    if done.returncode not in (0, 7):  # 7: an evaluation gate failed, still a report
        raise StepFailedError(
            f"steward {' '.join(args[:2])} exited {done.returncode}: {done.stderr.strip()[-500:]}"
        )
    return done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--work", type=Path, default=Path("operate-work"), help="folder for the run's files")
    args = parser.parse_args()
    work: Path = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(work / "data", ignore_errors=True)  # re-runnable: a fresh server each time
    summary: dict[str, Any] = {"ok": False}
    server: subprocess.Popen[bytes] | None = None
    upstream, upstream_url = start_upstream()
    secret = secrets.token_hex(32)
    hooks = Hooks(secret.encode())
    port = free_port()
    env = {
        **os.environ,
        "STEWARD_DATA_DIR": str(work / "data"),
        "STEWARD_UPSTREAM_URL": upstream_url,  # the fake model: nothing leaves the machine
        "STEWARD_PROXY_GUARDRAIL": "shop",
        "STEWARD_ALERT_WEBHOOKS": f"ops={hooks.url}",
        "STEWARD_ALERT_WEBHOOK_SECRET": secret,
        "STEWARD_ALERT_INTERVAL_S": "5",
    }
    env.pop("STEWARD_DATABASE_URL", None)
    try:
        # 1. keys, the guardrail (policy with a review band) and the consequential system
        def key(role: str) -> str:
            made = json.loads(steward("keys", "create", "--role", role, "--json", "--init", env=env))
            return f"{made['id']}.{made['secret']}"

        admin, app, reviewer, auditor = (key(r) for r in ("admin", "app", "reviewer", "auditor"))
        steward("guardrail", "create", "shop", "--policy", str(HERE / "policy.yaml"), env=env)
        steward("guardrail", "version", "shop", env=env)
        steward("system", "add", str(HERE / "system.yaml"), env=env)
        print(
            "1. guardrail shop v1 (review band 0.4-0.6 on HATE) in front of consequential system shop-refunds"
        )

        log = (work / "server.log").open("wb")
        exe = str(Path(sys.executable).with_name("steward"))
        server = subprocess.Popen([exe, "serve", "--port", str(port)], env=env, stdout=log, stderr=log)  # noqa: S603
        base = f"http://127.0.0.1:{port}"
        client = httpx.Client(base_url=base, timeout=30, trust_env=False)
        for _ in range(600):
            try:
                if client.get("/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            check(server.poll() is None, f"the server stopped; see {work / 'server.log'}")
            time.sleep(0.1)
        else:
            raise StepFailedError("the server did not start in 60 s")

        def auth(k: str) -> dict[str, str]:
            return {"Authorization": f"Bearer {k}"}

        # the drift rule: input text length, this minute against the one before
        rule = {
            "id": "input-length-drift",
            "metric": "text_length_psi",
            "comparison": ">=",
            "threshold": 0.25,
            "window": WINDOW_S,
            "cooldown": 3600,
            "minRequests": 20,
            "scope": {"guardrail": "shop", "source": "input"},
            "webhook": "ops",
        }
        r = client.post("/v1/monitor/rules", json=rule, headers=auth(admin))
        check(r.status_code in (200, 201), f"adding the alert rule: {r.status_code} {r.text}")

        def chat(text: str) -> httpx.Response:
            body = {"model": "fake", "messages": [{"role": "user", "content": text}]}
            answer = client.post("/v1/chat/completions", json=body, headers=auth(app))
            check(answer.status_code == 200, f"proxy answered {answer.status_code}: {answer.text[:300]}")
            return answer

        # 2. traffic through the proxy: the usual short questions, and one innocent message blocked
        started = time.monotonic()
        for i in range(25):
            chat(SHORT[i % len(SHORT)])
        baseline_done = time.monotonic()
        blocked = chat("I like grapefruit")
        check(
            blocked.json()["choices"][0]["finish_reason"] == "content_filter",
            "the grapefruit was not blocked",
        )
        decision = f"{blocked.headers['x-steward-request-id']}-in-0"  # the input decision's audit id
        summary["traffic"] = {
            "requests": 26,
            "blocked": blocked.json()["choices"][0]["message"]["content"],
            "disclosure": blocked.headers.get("x-ai-disclosure"),
        }
        print(f"2. 26 requests through the proxy; 'I like grapefruit' blocked (decision {decision})")

        # 3. the end user appeals
        appeal_body = {"requestId": decision, "reason": "Grapefruit is a fruit.", "text": "I like grapefruit"}
        r = client.post("/v1/appeals", json=appeal_body, headers=auth(app))
        check(r.status_code in (200, 201), f"appeal: {r.status_code} {r.text}")
        appeal = r.json()
        print(f"3. appeal {appeal['id']} opened, due {appeal['dueAt']}")

        # 4. a reviewer overturns the block
        items = client.get(
            "/v1/review/items", params={"reason": "appeal", "limit": 1000}, headers=auth(reviewer)
        ).json()["items"]
        (item,) = [i for i in items if i["requestId"] == decision]
        for step, body in (("claim", None), ("overturn", {"label": 0, "explanation": "A fruit, not abuse."})):
            r = client.post(f"/v1/review/items/{item['id']}/{step}", json=body, headers=auth(reviewer))
            check(r.status_code == 200, f"{step}: {r.status_code} {r.text}")
        outcome = client.get(f"/v1/appeals/{appeal['id']}", headers=auth(app)).json()
        check(outcome.get("outcome") == "overturned", f"the appeal reads {outcome}")
        all_items = client.get("/v1/review/items", params={"limit": 1000}, headers=auth(reviewer)).json()[
            "items"
        ]
        reasons: dict[str, int] = {}
        for i in all_items:
            reasons[i["reason"]] = reasons.get(i["reason"], 0) + 1
        summary["review"] = {"appeal": outcome, "itemsByReason": reasons}
        print(f"4. reviewer overturned the block; the appellant reads: {outcome.get('explanation')!r}")
        print(f"   review items by reason: {reasons}")

        # 5. the overturn becomes an evaluation row, and the policy is measured on it
        r = client.get("/v1/review/export", params={"overturnedOnly": "true"}, headers=auth(reviewer))
        check(r.status_code == 200, f"export: {r.status_code}")
        (work / "overturns.jsonl").write_bytes(r.content)
        rows = [json.loads(line) for line in r.text.splitlines() if line]
        report = json.loads(
            steward(
                "eval",
                str(work / "overturns.jsonl"),
                "--policy",
                str(HERE / "policy.yaml"),
                "--json",
                env=env,
            )
        )
        (work / "eval.json").write_text(json.dumps(report, indent=2))
        summary["eval"] = {"rows": rows, "n": report["n"], "fpr": report["fpr"]}
        print(
            f"5. exported {len(rows)} overturn(s); steward eval on them: n={report['n']} fpr={report['fpr']}"
        )

        # 6. the input mix changes: long complaints instead of short questions -> a drift alert
        wait = WINDOW_S + 1 - (time.monotonic() - baseline_done)
        print(f"6. waiting {max(wait, 0):.0f} s so the usual traffic fills the previous minute ...")
        time.sleep(max(wait, 0))
        check(time.monotonic() - started < 2 * WINDOW_S - 15, "the machine is too slow for the drift windows")
        for i in range(25):
            chat(LONG.format(n=1000 + i))
        deadline = time.monotonic() + 60
        while not hooks.alerts and time.monotonic() < deadline:
            time.sleep(0.5)
        check(bool(hooks.alerts), f"no alert reached the webhook (refused: {hooks.refused})")
        alert = hooks.alerts[0]
        summary["alert"] = {**alert, "signatureVerified": True, "refused": hooks.refused}
        (work / "alert.json").write_text(json.dumps(alert, indent=2))
        print(
            f"   alert {alert['ruleId']}: {alert['metric']} = {alert['value']:.2f} (>= {alert['threshold']})"
        )

        # 7. Prometheus scrapes /metrics
        r = client.get("/metrics", headers=auth(auditor))
        check(r.status_code == 200, f"/metrics: {r.status_code}")
        (work / "metrics.txt").write_text(r.text)
        decisions = [
            line
            for line in r.text.splitlines()
            if line.startswith("steward_decisions_total{") and "chat/completions" in line
        ]
        summary["metrics"] = {"decisionLines": decisions}
        print(
            f"7. /metrics scraped ({len(r.text.splitlines())} lines), e.g. {decisions[0] if decisions else '-'}"
        )
        summary["ok"] = True
        return 0
    except StepFailedError as exc:
        summary["error"] = str(exc)
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        upstream.shutdown()
        hooks.server.shutdown()
        (work / "summary.json").write_text(json.dumps(summary, indent=2, default=str))


if __name__ == "__main__":
    sys.exit(main())
