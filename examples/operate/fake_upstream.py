"""A local stand-in for an OpenAI-compatible model server, so the example needs no external model.

``python fake_upstream.py PORT`` serves ``POST /v1/chat/completions`` (and ``GET /v1/models``) on
127.0.0.1: the answer repeats the last user message after "You said: ", so what the guard does to
the model's answer can be seen. Importable: :func:`start` runs it in a thread (the tests do).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["answer", "start"]


def answer(body: dict[str, Any]) -> dict[str, Any]:
    """The completion for one request body: "You said: <last user message>"."""
    users = [
        m.get("content") for m in body.get("messages", []) if isinstance(m, dict) and m.get("role") == "user"
    ]
    said = users[-1] if users and isinstance(users[-1], str) else ""
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": str(body.get("model", "fake")),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": f"You said: {said}"},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


class _Handler(BaseHTTPRequestHandler):
    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._send(200, {"object": "list", "data": [{"id": "fake", "object": "model", "owned_by": "local"}]})

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            self._send(400, {"error": {"message": "body is not JSON"}})
            return
        self._send(200, answer(body))

    def log_message(self, format: str, *args: Any) -> None:
        pass


def start(port: int = 0) -> tuple[ThreadingHTTPServer, str]:
    """Serve in a daemon thread; returns the server and its base URL (ending in ``/v1``)."""
    server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/v1"


if __name__ == "__main__":
    srv = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 0), _Handler)
    print(f"http://127.0.0.1:{srv.server_address[1]}/v1", flush=True)
    srv.serve_forever()
