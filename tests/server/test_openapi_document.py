"""What the OpenAPI description says about errors, media types and methods, and the 405's ``Allow``."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient


@pytest.fixture
def schema(client: TestClient, app_key: dict[str, str]) -> dict[str, Any]:
    document: dict[str, Any] = client.get("/openapi.json", headers=app_key).json()
    return document


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(p, m, op) for p, item in schema["paths"].items() for m, op in item.items() if "responses" in op]


def test_no_operation_documents_fastapis_422(schema: dict[str, Any]) -> None:
    assert [f"{m} {p}" for p, m, op in _operations(schema) if "422" in op["responses"]] == []
    assert "HTTPValidationError" not in schema["components"]["schemas"]


def test_operations_behind_a_key_document_their_refusals(schema: dict[str, Any]) -> None:
    for path, method, operation in _operations(schema):
        if path in ("/health", "/about"):
            continue
        missing = {"400", "401", "403", "408", "413", "429", "500", "503"} - set(operation["responses"])
        assert not missing, f"{method} {path} does not document {sorted(missing)}"
        if "{" in path:
            assert "404" in operation["responses"], f"{method} {path}"


def test_the_register_documents_yaml(schema: dict[str, Any]) -> None:
    content = schema["paths"]["/v1/governance/register"]["get"]["responses"]["200"]["content"]
    assert {"application/yaml", "application/json"} <= set(content)


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("OPTIONS", "/v1/governance/register", "GET, POST"),  # two routes share the path
        ("TRACE", "/v1/guardrails", "GET, POST"),
        ("PATCH", "/v1/keys/STWX", "DELETE"),
    ],
)
def test_a_405_allows_every_method_of_the_path(
    client: TestClient, admin: dict[str, str], method: str, path: str, allowed: str
) -> None:
    r = client.request(method, path, headers=admin)
    assert r.status_code == 405
    assert r.headers["allow"] == allowed
