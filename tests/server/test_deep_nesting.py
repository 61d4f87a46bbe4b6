"""Deeply nested JSON is refused as too deep, with the limit; invalid UTF-8 is named as such."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from steward.server.bounds import MAX_JSON_DEPTH

_JSON = {"content-type": "application/json"}


def _nested(levels: int) -> Any:
    value: Any = []
    for _ in range(levels - 1):
        value = [value]
    return value


@pytest.mark.parametrize("path", ["/guardrail/default/version/1/apply", "/v1/check", "/v1/guardrails"])
def test_a_body_too_deep_to_parse_is_called_too_deep(
    client: TestClient, admin: dict[str, str], path: str
) -> None:
    body = b'{"content":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    r = client.post(path, content=body, headers={**admin, **_JSON})
    assert r.status_code == 400, r.text
    message = r.json()["message"]
    assert "UTF-8" not in message
    assert (
        message
        == f"the request body is nested too deeply: JSON objects and arrays may nest at most {MAX_JSON_DEPTH} levels"
    )


@pytest.mark.parametrize("levels", [MAX_JSON_DEPTH, 300])
def test_a_policy_document_nested_past_the_limit_is_refused_by_name(
    client: TestClient, admin: dict[str, str], levels: int
) -> None:
    """The policy object is level 1, so a list nested ``levels`` deep inside it passes the limit."""
    r = client.post(
        "/v1/check", json={"text": "hi", "policy": {"name": "p", "x": _nested(levels)}}, headers=admin
    )
    assert r.status_code == 400, r.text
    message = r.json()["message"]
    assert message.startswith("policy: x") and f"at most {MAX_JSON_DEPTH} levels" in message, message


def test_nesting_within_the_limit_reaches_validation(client: TestClient, admin: dict[str, str]) -> None:
    r = client.post(
        "/v1/check",
        json={"text": "hi", "policy": {"name": "p", "x": _nested(MAX_JSON_DEPTH - 1)}},
        headers=admin,
    )
    assert r.status_code == 400, r.text
    assert r.json()["message"] == "policy is invalid: x: unknown field (check the spelling)"


def test_invalid_utf8_names_the_byte(client: TestClient, admin: dict[str, str]) -> None:
    r = client.post("/v1/check", content=b'{"text": "\xff"}', headers={**admin, **_JSON})
    assert r.status_code == 400, r.text
    assert r.json()["message"] == "the request body is not valid UTF-8 (byte 10)"
