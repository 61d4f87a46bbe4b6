"""The request id is set in one place (the request middleware) and is on every answer, errors included."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from steward.server.app import create_app
from steward.settings import Settings


@pytest.fixture(scope="module")
def failing_app(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The real app plus one route that fails in a way no handler expects."""
    data: Path = tmp_path_factory.mktemp("request-id")
    app: FastAPI = create_app(Settings(database_url=db_url, data_dir=data), prepare=False)

    @app.get("/test-only/boom")
    def boom() -> None:
        raise RuntimeError("secret request content")

    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_an_unexpected_error_carries_the_request_id_it_quotes(
    failing_app: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    r = failing_app.get("/test-only/boom")
    assert r.status_code == 500
    request_id = r.headers["x-steward-request-id"]
    assert r.headers["x-amzn-requestid"] == request_id
    assert r.headers["x-amzn-errortype"] == "InternalServerException"
    assert r.json() == {"message": f"internal error; quote request id {request_id} when reporting it"}
    assert f"request {request_id} failed unexpectedly: RuntimeError" in caplog.text
    assert "secret request content" not in caplog.text


@pytest.mark.parametrize(
    ("method", "path", "headers", "content", "status"),
    [
        ("GET", "/health", {}, None, 200),
        ("GET", "/v1/guardrails", {}, None, 401),
        ("GET", "/no/such/path", {}, None, 404),
        ("DELETE", "/health", {}, None, 405),
        ("POST", "/v1/check", {"content-length": "x"}, b"", 400),
        ("POST", "/v1/check", {"content-type": "application/json"}, b"x" * (2 << 20), 413),
    ],
)
def test_one_request_id_on_every_answer(
    failing_app: TestClient,
    method: str,
    path: str,
    headers: dict[str, str],
    content: bytes | None,
    status: int,
) -> None:
    r = failing_app.request(method, path, headers=headers, content=content)
    assert r.status_code == status, r.text
    ids = r.headers.get_list("x-steward-request-id")
    assert len(ids) == 1 and ids == r.headers.get_list("x-amzn-requestid")
