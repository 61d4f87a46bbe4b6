"""Numbers past what the database or the server can hold are refused by name, never a 500.

``GET /v1/audit?before=9223372036854775808`` used to overflow SQLite's 64-bit integer (a 500).
Every numeric parameter of every route is bounded; each case runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from server_helpers import apply_body

from steward.server.bounds import INT64_MAX

HUGE = 2**63  # one past SQLite's and PostgreSQL's BIGINT
HUGER = 10**30

_SHEET = {
    "id": "big-sheet",
    "name": "Big",
    "version": "1",
    **dict.fromkeys(
        ("motivation", "composition", "collection", "preprocessing", "uses", "distribution", "maintenance"),
        "x",
    ),
    "profile": {
        "file_name": "a.csv",
        "file_sha256": "a" * 64,
        "measured_at": "2026-01-01T00:00:00Z",
        "bytes": HUGER,
        "rows": 1,
        "columns": [],
        "exact_duplicate_rows": 0,
    },
}
_EVIDENCE = {"name": "holdout", "subject": "m", "subject_version": "1"}
_CHAT = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}

# (method, path, query or None, JSON body or None, the parameter the answer must name)
_CASES: list[tuple[str, str, dict[str, Any] | None, Any, str]] = [
    ("GET", "/v1/audit", {"before": HUGE}, None, "before"),
    ("GET", "/v1/audit", {"before": HUGER}, None, "before"),
    ("GET", "/v1/audit", {"before": -HUGE}, None, "before"),
    ("GET", "/v1/audit", {"limit": HUGE}, None, "limit"),
    ("GET", "/v1/audit/export", {"before": HUGE}, None, "before"),
    ("GET", "/v1/guardrails/{gid}/versions/" + str(HUGE), None, None, "version"),
    ("GET", "/v1/guardrails/{gid}/diff", {"from": str(HUGE), "to": "1"}, None, "from"),
    ("PUT", "/v1/guardrails/{gid}/aliases/prod", None, {"version": HUGE}, "version"),
    ("PUT", "/v1/guardrails/{gid}/aliases/prod", None, {"version": 100_000_000}, "version"),
    ("PUT", "/v1/guardrails/{gid}/aliases/prod", None, {"version": str(HUGER)}, "version"),
    ("POST", "/guardrail/{gid}/version/" + str(HUGE) + "/apply", None, apply_body("hi"), "guardrailVersion"),
    ("POST", "/v1/check", None, {"text": "hi", "policy": {"name": "p", "x": [HUGER]}}, "policy: x[0]"),
    ("POST", "/v1/guardrails", None, {"id": "big", "policy": {"name": HUGE}}, "policy: name"),
    ("PUT", "/v1/guardrails/{gid}", None, {"policy": {"name": -HUGE - 1}}, "policy: name"),
    (
        "POST",
        "/v1/governance/systems/any/evidence",
        None,
        {**_EVIDENCE, "metrics": {"n": HUGER}},
        "metrics: n",
    ),
    ("POST", "/v1/governance/systems", None, {"id": "big", "version": HUGE}, "version"),
    ("POST", "/v1/governance/datasets", None, _SHEET, "profile.bytes"),
    ("POST", "/v1/governance/register", None, {"steward_register": 1, "datasets": [_SHEET]}, "profile.bytes"),
    ("POST", "/v1/chat/completions", None, {**_CHAT, "n": HUGE}, "n"),
]


def _message(body: dict[str, Any]) -> str:
    """The error message in Bedrock's shape, or in OpenAI's (the proxy's routes)."""
    message = body["error"]["message"] if "error" in body else body["message"]
    assert isinstance(message, str)
    return message


@pytest.mark.parametrize(("method", "path", "query", "body", "name"), _CASES)
def test_out_of_range_numbers_are_refused_by_name(
    client: TestClient,
    admin: dict[str, str],
    new_guardrail: Any,
    method: str,
    path: str,
    query: dict[str, Any] | None,
    body: Any,
    name: str,
) -> None:
    url = path.replace("{gid}", new_guardrail()) if "{gid}" in path else path
    r = client.request(method, url, params=query, json=body, headers=admin)
    assert r.status_code in (400, 422), (r.status_code, r.text)
    assert name in _message(r.json()), r.text


def test_the_guardrail_header_version_is_bounded(
    client: TestClient, app_key: dict[str, str], new_guardrail: Any
) -> None:
    header = {**app_key, "x-steward-guardrail": f"{new_guardrail()}:{HUGE}"}
    r = client.post("/v1/chat/completions", json=_CHAT, headers=header)
    assert r.status_code == 400, r.text
    assert "version" in _message(r.json())


def test_the_largest_values_in_range_are_accepted(
    client: TestClient, admin: dict[str, str], new_guardrail: Any
) -> None:
    """The bounds are where the schema says: the last value inside them passes validation."""
    r = client.get("/v1/audit", params={"before": INT64_MAX, "limit": 1}, headers=admin)
    assert r.status_code == 200, r.text
    r = client.put(
        f"/v1/guardrails/{new_guardrail()}/aliases/prod", json={"version": 99_999_999}, headers=admin
    )
    assert r.status_code == 404, r.text  # a valid number that names no version
    r = client.post(
        "/v1/check", json={"text": "hi", "policy": {"name": "p", "x": [INT64_MAX]}}, headers=admin
    )
    assert r.status_code == 400 and "x: unknown field" in r.json()["message"], r.text
