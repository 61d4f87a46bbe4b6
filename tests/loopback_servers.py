"""Real loopback HTTP servers the tests talk to (helpers, not fixtures): one way to serve a handler
on a free port, a fake OpenAI-compatible upstream, and a webhook receiver.

* :func:`serving` runs any ``BaseHTTPRequestHandler`` class in a thread on 127.0.0.1 (port 0:
  the system picks a free one), quiet about clients that hang up, and stops it afterwards.
* :func:`running_upstream` is a fake model server: it answers from a script chosen by the
  request's ``model`` (``say:<canned>[:<chunk size>]``, ``status:<code>``, ``malformed``,
  ``slow``, ``json``, ``tool:<name>``; anything else echoes the last user message after
  "You said: ") and records every request it receives, so tests can prove what was, or was
  not, sent upstream. Streams are sent in chunks of a few characters.
* :func:`webhook_receiver` records the alert webhooks it is sent and can fail on purpose.
* :func:`steward_processes` runs ``steward serve`` as real processes (several sharing one
  database, as a scaled-out deployment does) and stops them cleanly (SIGTERM) afterwards;
  :func:`spawn_steward` and :func:`wait_ready` start one a test stops itself (SIGKILL, say).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

__all__ = [
    "CANNED",
    "TOOL_ARGUMENTS",
    "QuietServer",
    "Receiver",
    "Upstream",
    "make_handler",
    "running_upstream",
    "serving",
    "spawn_steward",
    "steward_processes",
    "wait_ready",
    "webhook_receiver",
]

#: What ``say:<name>`` makes the fake model answer (an :class:`Upstream` may bring its own).
CANNED = {
    "plain": "The capital of France is Paris.",
    "email": "Sure! Write to jane.roe@example.org any time; I am happy to help with anything else.",
    "secret": "Here is everything you asked for, step by step. First, the launch code 12345 opens it.",
    "long": "word " * 300,
}

#: Arguments of the tool call the fake model makes for ``tool:<name>``.
TOOL_ARGUMENTS = {
    "email": '{"to": "jane.roe@example.org", "subject": "Your refund"}',
    "secret": '{"note": "the launch code 999 is attached"}',
}


class QuietServer(ThreadingHTTPServer):
    """An HTTP server that does not print clients hanging up (the proxy does, on time-outs)."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that logs nothing (test output stays readable)."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve ``handler`` on a free loopback port for the ``with`` block; yields ``http://127.0.0.1:<port>``."""
    server = QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


# -- the fake OpenAI-compatible upstream ---------------------------------------------------------


@dataclass
class Upstream:
    """The fake upstream's address (ending in ``/v1``) and what it received."""

    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: What the model says to a request that names no script (the red-team tests' scripted
    #: model); ``None`` echoes the last user message.
    reply: Callable[[dict[str, Any]], str] | None = None
    #: The answers of ``say:<name>``.
    canned: dict[str, str] = field(default_factory=lambda: dict(CANNED))

    def chat_requests(self) -> list[dict[str, Any]]:
        with self.lock:
            return [r for r in self.requests if r["path"].endswith("/chat/completions")]

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()


def _completion(model: str, content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-upstream-1",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "logprobs": {"content": [{"token": content[:5], "logprob": -0.1}]},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12},
    }


def _chunk(model: str, delta: dict[str, Any], finish: str | None = None) -> bytes:
    body = {
        "id": "chatcmpl-upstream-1",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }
    return b"data: " + json.dumps(body).encode() + b"\n\n"


def _last_user_text(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages", [])):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):
                return " ".join(p.get("text", "") for p in content if p.get("type") == "text")
            return str(content)
    return ""


def make_handler(upstream: Upstream) -> type[BaseHTTPRequestHandler]:
    """The request handler of the fake model server whose state is ``upstream``."""

    class Handler(QuietHandler):
        protocol_version = "HTTP/1.1"

        def _json(self, status: int, body: Any) -> None:
            raw = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self) -> None:
            with upstream.lock:
                upstream.requests.append({"path": self.path, "headers": dict(self.headers), "body": None})
            if self.path.endswith("/models"):
                self._json(
                    200,
                    {"object": "list", "data": [{"id": "fake-model", "object": "model", "owned_by": "test"}]},
                )
            else:
                self._json(404, {"error": {"message": "no such path"}})

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = json.loads(self.rfile.read(length))
            with upstream.lock:
                upstream.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
            model = body.get("model", "")
            kind, _, arg = model.partition(":")
            if kind == "status":
                self._json(int(arg), {"error": {"message": f"upstream says {arg}", "type": "server_error"}})
                return
            if kind == "json":  # a server that ignores "stream": true
                self._json(200, _completion(model, "not streamed"))
                return
            if kind == "malformed":
                self._json(200, b"{this is not json")
                return
            if kind == "slow":
                time.sleep(float(arg or 2))
                self._json(200, _completion(model, "late"))
                return
            if kind == "tool":
                self._tool_call(model, TOOL_ARGUMENTS[arg], body)
                return
            if kind == "say":
                name, _, size = arg.partition(":")
                content = upstream.canned[name]
            else:  # echo, or the reply given
                size = ""
                content = upstream.reply(body) if upstream.reply else "You said: " + _last_user_text(body)
            if not body.get("stream"):
                self._json(200, _completion(model, content))
                return
            self._stream(model, content, int(size or 3), body)

        def _tool_call(self, model: str, arguments: str, body: dict[str, Any]) -> None:
            call = {
                "id": "call_1",
                "type": "function",
                "function": {"name": "send_mail", "arguments": arguments},
            }
            if not body.get("stream"):
                answer = _completion(model, "")
                answer["choices"][0]["message"] = {"role": "assistant", "content": None, "tool_calls": [call]}
                answer["choices"][0]["finish_reason"] = "tool_calls"
                self._json(200, answer)
                return
            self._start_stream()
            first = {
                "index": 0,
                "id": "call_1",
                "type": "function",
                "function": {"name": "send_mail", "arguments": ""},
            }
            self.wfile.write(_chunk(model, {"role": "assistant", "content": None, "tool_calls": [first]}))
            for i in range(0, len(arguments), 4):
                piece = {"index": 0, "function": {"arguments": arguments[i : i + 4]}}
                self.wfile.write(_chunk(model, {"tool_calls": [piece]}))
            self.wfile.write(_chunk(model, {}, "tool_calls"))
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

        def _start_stream(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("connection", "close")
            self.end_headers()
            self.close_connection = True

        def _stream(self, model: str, content: str, size: int, body: dict[str, Any]) -> None:
            self._start_stream()
            self.wfile.write(_chunk(model, {"role": "assistant", "content": ""}))
            for i in range(0, len(content), size):
                self.wfile.write(_chunk(model, {"content": content[i : i + size]}))
                self.wfile.flush()
                if body.get("test_stall_after") == i:
                    time.sleep(2)
                if body.get("test_garbage_after") == i:
                    self.wfile.write(b"data: {not json\n\n")
                    self.wfile.flush()
                    return
            self.wfile.write(_chunk(model, {}, "stop"))
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

    return Handler


@contextmanager
def running_upstream(
    reply: Callable[[dict[str, Any]], str] | None = None, *, canned: dict[str, str] | None = None
) -> Iterator[Upstream]:
    """A fake upstream on its own free port for the ``with`` block; ``reply`` answers requests that
    name no script, ``canned`` replaces the answers of ``say:<name>``."""
    state = Upstream(url="", reply=reply)
    if canned is not None:
        state.canned = dict(canned)
    with serving(make_handler(state)) as base:
        state.url = f"{base}/v1"
        yield state


# -- the webhook receiver ------------------------------------------------------------------------


@dataclass
class Receiver:
    """What arrived, and how many of the next requests to answer with HTTP 500."""

    url: str
    fail_next: int = 0
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    attempts: int = 0


@contextmanager
def webhook_receiver(fail_next: int = 0) -> Iterator[Receiver]:
    """Receive webhooks at ``<url>`` (a free loopback port) for the duration of the ``with`` block."""
    state = Receiver(url="", fail_next=fail_next)

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            state.attempts += 1
            if state.fail_next > 0:
                state.fail_next -= 1
                self.send_response(500)
                self.end_headers()
                return
            state.received.append(({k: v for k, v in self.headers.items()}, body))
            self.send_response(204)
            self.end_headers()

    with serving(Handler) as base:
        state.url = f"{base}/hook"
        yield state


# -- Steward itself, as processes ----------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_ready(base: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 120) -> None:
    """Wait until the server at ``base`` answers ``/health`` (its log is quoted if it exits first)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError("server did not become ready")


def spawn_steward(variables: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start one ``steward serve`` process on a free port with the environment ``variables``, its
    stderr to ``log``; its base URL. It is not ready yet (:func:`wait_ready`), and the caller
    stops it (as a test that kills it on purpose does)."""
    port = _free_port()
    cmd = [sys.executable, "-c", "from steward.cli import main; main()", "serve", "--port", str(port)]
    with log.open("wb") as err:
        proc = subprocess.Popen(cmd, env=variables, stdout=subprocess.DEVNULL, stderr=err)
    return proc, f"http://127.0.0.1:{port}"


@contextmanager
def steward_processes(
    database_url: str, data_dir: Path, count: int = 2, *, timeout: float = 120, **env: str
) -> Iterator[list[str]]:
    """``count`` ``steward serve`` processes on ``database_url`` (migrated already, so they do not
    race on it) sharing ``data_dir`` (one server key), with extra ``STEWARD_*`` variables ``env``;
    yields their base URLs. At the end each gets SIGTERM, a clean shutdown (writers flushed)."""
    variables = {**os.environ, "STEWARD_DATABASE_URL": database_url, "STEWARD_DATA_DIR": str(data_dir), **env}
    procs: list[subprocess.Popen[bytes]] = []
    bases: list[str] = []
    logs = [data_dir / f"serve-{i}.log" for i in range(count)]  # a file, not a pipe nobody drains
    try:
        for log in logs:
            proc, base = spawn_steward(variables, log)
            procs.append(proc)
            bases.append(base)
        for base, proc, log in zip(bases, procs, logs, strict=True):
            wait_ready(base, proc, log, timeout)
        yield bases
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
