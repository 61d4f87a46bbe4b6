"""What the proxy adds to a chat request, end to end on loopback, against calling the upstream directly.

    python benchmarks/proxy_latency.py [--requests 300] [--policy test|pii-mask|default]

Starts a fake OpenAI-compatible upstream (FastAPI in uvicorn, answering at once, in a child
process) and the real Steward server (``steward.asgi.create_app`` on a temporary SQLite database, the proxy
guarded by the chosen policy, in a uvicorn thread of this process), and drives both with the
official ``openai`` client. Prints, for non-streamed requests, the median and 95th percentile latency
direct and through Steward, and one ApplyGuardrail call to the same server (the server's
cost of a guard call); for a streamed 1,600-character answer in 400 chunks paced at 5 ms (a
fast model), the time to the first content token and to the end, direct and through Steward. The peer is the upstream
itself: the difference is Steward's cost (two guard calls, the audit record, one more hop).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from openai import OpenAI

from steward.policy import load_policy, parse_policy

ANSWER = ("Thanks for getting in touch about your order; it will arrive on Thursday. " * 22)[:1600]
TOKEN_INTERVAL_S = 0.005
TEST_POLICY = {
    "name": "regex-only",
    "sensitive_information": {
        "regexes": [{"name": "EMAIL", "pattern": r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"}]
    },
}


def upstream_app() -> FastAPI:
    app = FastAPI()

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        body = {
            "id": "c1",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "m",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        return b"data: " + json.dumps(body).encode() + b"\n\n"

    @app.post("/v1/chat/completions")
    async def complete(request: Request) -> Any:
        body = await request.json()
        if not body.get("stream"):
            return JSONResponse(
                {
                    "id": "c1",
                    "object": "chat.completion",
                    "created": 0,
                    "model": "m",
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": ANSWER[:400]},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }
            )

        async def events() -> Any:
            yield chunk({"role": "assistant", "content": ""})
            for i in range(0, len(ANSWER), 4):
                await asyncio.sleep(TOKEN_INTERVAL_S)  # a fast model: 200 tokens a second
                yield chunk({"content": ANSWER[i : i + 4]})
            yield chunk({}, "stop")
            yield b"data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return app


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", ws="none", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def upstream_process() -> Iterator[str]:
    """The fake upstream in a child process, so it does not share this process's GIL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    child = subprocess.Popen([sys.executable, __file__, "--serve-upstream", str(port)])
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the fake upstream did not start") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        child.terminate()
        child.wait(10)


def steward_app(upstream: str, policy_name: str, data: Path) -> tuple[FastAPI, str]:
    from steward.app.bootstrap import prepare_database
    from steward.asgi import create_app
    from steward.settings import Settings
    from steward.store.db import make_engine, session_factory
    from steward.store.guardrails import GuardrailStore
    from steward.store.keys import ApiKeyStore, Role
    from steward.store.sealing import Sealer, load_server_key

    settings = Settings(database_url=f"sqlite:///{data / 'steward.db'}", data_dir=data)
    prepare_database(settings)
    engine = make_engine(settings.database_url)
    sessions = session_factory(engine)
    policy = parse_policy(TEST_POLICY) if policy_name == "test" else load_policy(policy_name)
    GuardrailStore(sessions).create("bench", policy)
    GuardrailStore(sessions).create_version("bench")
    key = ApiKeyStore(sessions, Sealer(load_server_key(data))).create(Role.APP).bearer
    engine.dispose()
    os.environ.update(
        {
            "STEWARD_UPSTREAM_URL": upstream,
            "STEWARD_PROXY_GUARDRAIL": "bench",
            "STEWARD_STREAM_HOLDBACK_CHARS": "200",
        }
    )
    return create_app(settings, prepare=False), key


def timed_request(client: OpenAI, i: int) -> float:
    t0 = time.perf_counter()
    client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": f"Where is my order {i}?"}]
    )
    return (time.perf_counter() - t0) * 1000


def timed_stream(client: OpenAI) -> tuple[float, float, int]:
    t0 = time.perf_counter()
    first = None
    text = []
    for c in client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "Where is my order?"}], stream=True
    ):
        if c.choices and c.choices[0].delta.content:
            if first is None:
                first = time.perf_counter() - t0
            text.append(c.choices[0].delta.content)
    return (first or 0) * 1000, (time.perf_counter() - t0) * 1000, len("".join(text))


def timed_apply(http: httpx.Client, i: int) -> float:
    """Steward's own ApplyGuardrail endpoint, same guardrail: the server's cost of one guard call."""
    t0 = time.perf_counter()
    r = http.post(
        "/guardrail/bench/version/1/apply",
        json={"source": "INPUT", "content": [{"text": {"text": f"Where is my order {i}?"}}]},
    )
    r.raise_for_status()
    return (time.perf_counter() - t0) * 1000


def pct(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--policy", default="test")
    parser.add_argument("--serve-upstream", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_upstream:
        uvicorn.run(
            upstream_app(), host="127.0.0.1", port=args.serve_upstream, log_level="warning", ws="none"
        )
        return
    with tempfile.TemporaryDirectory() as tmp, upstream_process() as upstream:
        app, key = steward_app(upstream, args.policy, Path(tmp))
        with serve(app) as steward:
            direct = OpenAI(base_url=upstream, api_key="x", max_retries=0)
            proxied = OpenAI(base_url=steward, api_key=key, max_retries=0)
            http = httpx.Client(
                base_url=steward.removesuffix("/v1"), headers={"authorization": f"Bearer {key}"}
            )
            d: list[float] = []
            p: list[float] = []
            a: list[float] = []
            # Interleaved, so a busy machine slows all three alike; the first 20 rounds warm up.
            for i in range(args.requests + 20):
                times = (timed_request(direct, i), timed_request(proxied, i), timed_apply(http, i))
                if i >= 20:
                    for bucket, value in zip((d, p, a), times, strict=True):
                        bucket.append(value)
            http.close()
            print(
                f"policy {args.policy}; {args.requests} rounds of sequential non-streamed requests (400-character answers)"
            )
            print(
                f"  direct to upstream : median {statistics.median(d):6.2f} ms   p95 {pct(d, 0.95):6.2f} ms"
            )
            print(
                f"  through Steward    : median {statistics.median(p):6.2f} ms   p95 {pct(p, 0.95):6.2f} ms"
            )
            print(f"  added by Steward   : median {statistics.median(p) - statistics.median(d):6.2f} ms")
            print(
                f"  peer: one ApplyGuardrail call to the same server: median {statistics.median(a):6.2f} ms"
            )
            runs = 5
            ds = [timed_stream(direct) for _ in range(runs)]
            ps = [timed_stream(proxied) for _ in range(runs)]
            print(
                f"streamed answer of {ds[0][2]} characters in 400 chunks, one every "
                f"{TOKEN_INTERVAL_S * 1000:g} ms (median of {runs}):"
            )
            print(
                f"  direct to upstream : first token {statistics.median(x[0] for x in ds):7.1f} ms   "
                f"end {statistics.median(x[1] for x in ds):7.1f} ms"
            )
            print(
                f"  through Steward    : first token {statistics.median(x[0] for x in ps):7.1f} ms   "
                f"end {statistics.median(x[1] for x in ps):7.1f} ms   ({ps[0][2]} characters out)"
            )
            direct.close()
            proxied.close()


if __name__ == "__main__":
    main()
