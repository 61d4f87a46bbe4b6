"""Real loopback servers for the proxy tests (helpers; fixtures are in conftest.py): a fake OpenAI-compatible upstream and Steward.

The upstream is a plain ``http.server`` in a thread that answers from a script chosen by the
request's ``model`` (``say:<canned>[:<chunk size>]``, ``status:<code>``, ``malformed``,
``slow``, ...) and records every request it receives, so tests can prove what was, or was
not, sent upstream. Steward runs in a real uvicorn on another free port.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import uvicorn
from fastapi import FastAPI

from steward.audit.search import AuditQuery, search
from steward.server.state import ServerState

EMAIL_PATTERN = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"

#: A policy with deterministic detectors only: e-mail addresses are masked, "launch code N"
#: and "ignore all previous instructions" are blocked.
TEST_POLICY = {
    "name": "proxy-test",
    "sensitive_information": {
        "regexes": [
            {"name": "EMAIL", "pattern": EMAIL_PATTERN, "action": "ANONYMIZE"},
            {"name": "LAUNCH_CODE", "pattern": r"(?i)launch code \d+", "action": "BLOCK"},
            {"name": "INJECTION", "pattern": r"(?i)ignore all previous instructions", "action": "BLOCK"},
        ]
    },
    "blocked_input_message": "Steward blocked this request.",
    "blocked_output_message": "Steward withheld this answer.",
}

#: A second guardrail that only masks e-mail addresses with pseudonyms, picked per request by header.
PSEUDONYM_POLICY = {
    "name": "proxy-pseudonym",
    "sensitive_information": {
        "anonymization": {"style": "pseudonym"},
        "regexes": [{"name": "EMAIL", "pattern": EMAIL_PATTERN, "action": "ANONYMIZE"}],
    },
}

CANNED = {
    "plain": "The capital of France is Paris.",
    "email": "Sure! Write to jane.roe@example.org any time; I am happy to help with anything else.",
    "secret": "Here is everything you asked for, step by step. First, the launch code 12345 opens it.",
    "long": "word " * 300,
}


@dataclass
class Upstream:
    """The fake upstream's address and what it received."""

    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: What the model says to a request that names no script (the red-team tests' scripted
    #: model); ``None`` echoes the last user message.
    reply: Callable[[dict[str, Any]], str] | None = None

    def chat_requests(self) -> list[dict[str, Any]]:
        with self.lock:
            return [r for r in self.requests if r["path"].endswith("/chat/completions")]

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()


#: Arguments of the tool call the fake model makes for ``tool:<name>``.
TOOL_ARGUMENTS = {
    "email": '{"to": "jane.roe@example.org", "subject": "Your refund"}',
    "secret": '{"note": "the launch code 999 is attached"}',
}


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


class QuietServer(ThreadingHTTPServer):
    """An HTTP server that does not print clients hanging up (the proxy does, on time-outs)."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


def make_handler(upstream: Upstream) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

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
                content = CANNED[name]
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
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("connection", "close")
            self.end_headers()
            self.close_connection = True
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

        def _stream(self, model: str, content: str, size: int, body: dict[str, Any]) -> None:
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("connection", "close")
            self.end_headers()
            self.close_connection = True
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
def running_upstream(reply: Callable[[dict[str, Any]], str] | None = None) -> Iterator[Upstream]:
    """Another fake upstream on its own free port, for tests that need several (data-flow routing)
    or their own ``reply``."""
    state = Upstream(url="", reply=reply)
    server = QuietServer(("127.0.0.1", 0), make_handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Run ``app`` in a real uvicorn on a free loopback port; yield its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", ws="none", lifespan="on", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@dataclass
class Steward:
    """A running Steward server (the real app) and a way to read its audit trail."""

    url: str
    state: ServerState
    key: str

    @property
    def v1(self) -> str:
        return self.url + "/v1"

    def audit(self, request_id: str) -> list[dict[str, Any]]:
        """The audit records of one request (ids ``<request id>-in-N``/``-out-N``), oldest first."""
        self.state.audit.flush()
        page = search(self.state.sessions, AuditQuery(endpoint="/v1/chat/completions", limit=1000))
        return [r for r in reversed(page["records"]) if r["requestId"].startswith(request_id + "-")]
