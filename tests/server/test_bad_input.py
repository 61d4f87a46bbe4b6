from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from server_helpers import apply_body

from steward.policy import limits


@pytest.fixture
def url(new_guardrail: Callable[..., str]) -> str:
    return f"/guardrail/{new_guardrail()}/version/1/apply"


def _post_raw(client: TestClient, url: str, headers: dict[str, str], content: bytes) -> Any:
    return client.post(url, content=content, headers={**headers, "content-type": "application/json"})


def test_malformed_json(client: TestClient, app_key: dict[str, str], url: str) -> None:
    r = _post_raw(client, url, app_key, b'{"source": "INPUT", "content": [')
    assert r.status_code == 400
    assert r.headers["x-amzn-errortype"] == "ValidationException"
    assert "not valid JSON" in r.json()["message"]


def test_invalid_utf8_body(client: TestClient, app_key: dict[str, str], url: str) -> None:
    r = _post_raw(client, url, app_key, b'{"source": "INPUT", "content": [{"text": {"text": "\xff\xfe"}}]}')
    assert r.status_code == 400
    assert "message" in r.json()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"source": "SIDEWAYS", "content": [{"text": {"text": "x"}}]}, "source"),
        ({"source": "INPUT", "content": "not a list"}, "content"),
        ({"source": "INPUT", "content": []}, "content"),
        ({"source": "INPUT", "content": [{"text": {"text": 42}}]}, "content[0].text.text"),
        ({"source": "INPUT", "content": [{"text": {"text": "x", "qualifiers": ["bogus"]}}]}, "qualifiers"),
        ({"source": "INPUT", "content": [{"text": {"text": "x"}}], "outputScope": "ALL"}, "outputScope"),
        ({"source": "INPUT", "content": [{"text": {"text": "x"}}], "extra": 1}, "extra"),
        ({"content": [{"text": {"text": "x"}}]}, "source"),
        ([1, 2, 3], "request body"),
    ],
)
def test_wrong_shapes_name_the_field(
    client: TestClient, app_key: dict[str, str], url: str, body: Any, field: str
) -> None:
    r = client.post(url, json=body, headers=app_key)
    assert r.status_code == 400, r.text
    assert field in r.json()["message"]


def test_a_body_that_is_not_json_says_so(client: TestClient, app_key: dict[str, str], url: str) -> None:
    r = client.post(
        url, content=b"source=INPUT", headers={**app_key, "content-type": "application/x-www-form-urlencoded"}
    )
    assert r.status_code == 400
    assert "Content-Type: application/json" in r.json()["message"]


def test_image_blocks_are_refused_clearly(client: TestClient, app_key: dict[str, str], url: str) -> None:
    body = {"source": "INPUT", "content": [{"image": {"format": "png", "source": {"bytes": "aGk="}}}]}
    r = client.post(url, json=body, headers=app_key)
    assert r.status_code == 400 and "image content is not supported" in r.json()["message"]


def test_oversized_body_is_413(client: TestClient, app_key: dict[str, str], url: str) -> None:
    r = _post_raw(client, url, app_key, b"x" * (300 * 1024))
    assert r.status_code == 413
    assert "over the limit" in r.json()["message"]


def test_chunked_oversized_body_is_413(client: TestClient, app_key: dict[str, str], url: str) -> None:
    def chunks() -> Any:
        for _ in range(40):
            yield b"y" * 10_000

    r = client.post(url, content=chunks(), headers={**app_key, "content-type": "application/json"})
    assert r.status_code == 413


def test_text_over_the_character_limit(
    client: TestClient, app_key: dict[str, str], new_guardrail: Callable[..., str]
) -> None:
    from steward.server.app import create_app
    from steward.settings import Settings

    settings: Settings = client.app.state.steward.settings  # type: ignore[attr-defined]
    big = create_app(
        Settings(database_url=settings.database_url, data_dir=settings.data_dir, max_body_bytes=4 << 20)
    )
    with TestClient(big) as c:
        gid = new_guardrail()
        n = limits.TEXT_MAX_CHARS // 2 + 10
        r = c.post(f"/guardrail/{gid}/version/1/apply", json=apply_body("a" * n, "b" * n), headers=app_key)
        assert r.status_code == 400
        assert f"limit of {limits.TEXT_MAX_CHARS}" in r.json()["message"]


def test_unknown_route_and_method(client: TestClient, app_key: dict[str, str], url: str) -> None:
    r = client.get("/no/such/thing", headers=app_key)
    assert r.status_code == 404 and "no such operation" in r.json()["message"]
    r = client.get(url, headers=app_key)
    assert r.status_code == 405


def test_bad_ids_are_400_not_500(client: TestClient, app_key: dict[str, str], admin: dict[str, str]) -> None:
    r = client.post("/guardrail/NOT%20VALID/version/1/apply", json=apply_body("x"), headers=app_key)
    assert r.status_code == 400 and "guardrailIdentifier" in r.json()["message"]
    r = client.post("/guardrail/abc/version/0/apply", json=apply_body("x"), headers=app_key)
    assert r.status_code == 400
    # An id no guardrail could have is refused by its form (the pattern the OpenAPI schema states).
    r = client.get("/v1/guardrails/" + "x" * 500, headers=admin)
    assert r.status_code == 400 and r.json()["message"].startswith("guardrail_id: must be 1-64 characters")


def test_bad_audit_query(client: TestClient, admin: dict[str, str]) -> None:
    assert client.get("/v1/audit", params={"limit": 0}, headers=admin).status_code == 400
    assert client.get("/v1/audit", params={"since": "yesterday"}, headers=admin).status_code == 400
    r = client.get("/v1/audit", params={"since": "2030-01-01", "until": "2020-01-01"}, headers=admin)
    assert r.status_code == 400 and "since" in r.json()["message"]


def test_hostile_regex_in_a_policy_is_refused(client: TestClient, admin: dict[str, str]) -> None:
    import uuid

    policy = {
        "name": "re",
        "sensitive_information": {"regexes": [{"name": "backref", "pattern": r"(a+)\1+$"}]},
    }
    r = client.post(
        "/v1/guardrails", json={"id": "r" + uuid.uuid4().hex[:8], "policy": policy}, headers=admin
    )
    assert r.status_code == 400
    assert "sensitive_information.regexes[0].pattern" in r.json()["message"]


def test_an_unreachable_database_is_503_not_500(tmp_path: Any) -> None:
    from live_server import free_port

    from steward.server.app import create_app
    from steward.settings import Settings

    url = f"postgresql://postgres@127.0.0.1:{free_port()}/nothing"
    app = create_app(Settings(database_url=url, data_dir=tmp_path), prepare=False)
    with TestClient(app, raise_server_exceptions=False) as c:
        assert c.get("/health").status_code == 503
        r = c.post(
            "/guardrail/g/version/1/apply",
            json=apply_body("x"),
            headers={"Authorization": "Bearer STWAAAAAAAAAAAAAAAAA.secret"},
        )
        assert r.status_code == 503
        assert r.headers["x-amzn-errortype"] == "ServiceUnavailableException"
        assert "secret" not in r.text
