"""A client that declares a body and sends only part of it gets a 408 and loses the connection,
instead of holding it open for ever (a real uvicorn server, a raw socket)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from live_server import serve_in_thread

from steward.server.app import create_app
from steward.settings import DEFAULT_BODY_TIMEOUT_S, Settings
from steward.store.keys import Role

#: How long the test waits for the server's answer: far above the server's timeout, so a server
#: without one fails the test (the socket times out) instead of passing by luck.
_PATIENCE_S = 30.0


@pytest.fixture(scope="module")
def slow_body_server(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int, str]]:
    """A real server whose body-read timeout is half a second: host, port and an app key's token."""
    settings = Settings(
        database_url=db_url, data_dir=tmp_path_factory.mktemp("body-timeout"), body_timeout_s=0.5
    )
    app = create_app(settings, prepare=False)
    token = app.state.steward.keys.create(Role.APP).bearer
    with serve_in_thread(app) as base:
        parts = urlsplit(base)
        assert parts.hostname is not None and parts.port is not None
        yield parts.hostname, parts.port, token


def _read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    chunks = []
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


@pytest.mark.parametrize("path", ["/v1/check", "/guardrail/default/version/1/apply", "/v1/chat/completions"])
def test_a_stalled_body_gets_408_and_the_connection_closes(
    slow_body_server: tuple[str, int, str], path: str
) -> None:
    host, port, token = slow_body_server
    with socket.create_connection((host, port), timeout=_PATIENCE_S) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {token}\r\nContent-Length: 100\r\n\r\n".encode()
            + b'{"text": "'  # 10 of the 100 declared bytes, then nothing
        )
        answer = _read_all(sock)  # a server without a timeout never answers: socket.timeout
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 "), answer
    assert b"within 0.5 seconds" in body and b"STEWARD_BODY_TIMEOUT_S" in body
    assert b"x-steward-request-id: " in head.lower()


def test_a_body_sent_at_once_is_answered(slow_body_server: tuple[str, int, str]) -> None:
    """The deadline covers reading the body only: a body sent at once is answered as usual."""
    host, port, token = slow_body_server
    body = b'{"text": "hello", "pack": "default"}'
    with socket.create_connection((host, port), timeout=_PATIENCE_S) as sock:
        sock.sendall(
            f"POST /v1/check HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {token}\r\nConnection: close\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        answer = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 200 "), answer
    assert b'"action":"NONE"' in answer


def test_the_default_timeout_is_set_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STEWARD_BODY_TIMEOUT_S", raising=False)
    assert Settings.from_env().body_timeout_s == DEFAULT_BODY_TIMEOUT_S == 30.0
    monkeypatch.setenv("STEWARD_BODY_TIMEOUT_S", "2.5")
    assert Settings.from_env().body_timeout_s == 2.5
