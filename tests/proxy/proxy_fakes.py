"""Steward in a real uvicorn on a free loopback port, and the policies the proxy tests use
(helpers; fixtures are in conftest.py). The fake OpenAI-compatible upstream it talks to is the
tests' shared one: :func:`loopback_servers.running_upstream`.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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
