"""The OpenAPI description, made to say what the server does.

FastAPI documents a 422 for every operation with parameters and nothing else, while Steward
answers validation errors with 400 and every operation can also be refused before it runs (no
key, a role that may not call it, a body too large or too slow, a rate limit, the database
down). :func:`install` post-processes the generated description once: every operation lists the
error statuses it can answer, each with the error body it carries, and the 422 goes.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

__all__ = ["install"]

_ERROR: dict[str, Any] = {"$ref": "#/components/schemas/Error"}
_ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["message"],
    "properties": {"message": {"type": "string", "description": "what is wrong, naming the field at fault"}},
    "description": "Bedrock's error shape; the `x-amzn-ErrorType` header names the kind.",
}
_OPENAI_ERROR_SCHEMA: dict[str, Any] = {
    "title": "OpenAIError",
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["message", "type"],
            "properties": {
                "message": {"type": "string"},
                "type": {"type": "string"},
                "param": {"type": ["string", "null"]},
                "code": {"type": ["string", "null"]},
            },
        }
    },
    "description": "OpenAI's error shape, used by the proxy's own answers.",
}

#: Statuses any operation behind a key may answer, before or while it runs.
_ANY: dict[str, str] = {
    "400": "the request is invalid: the message names the field or parameter at fault",
    "401": "no key, an unknown or revoked key, or a wrong secret",
    "403": "the key's role may not do this, or a SigV4 signature does not match",
    "408": "the request body did not arrive within `STEWARD_BODY_TIMEOUT_S`",
    "413": "the request body is over `STEWARD_MAX_BODY_BYTES`",
    "429": "the key is over `STEWARD_RATE_LIMIT`",
    "500": "a bug: the message quotes the request id",
    "503": "the database failed or cannot be reached",
}
#: Statuses of operations on a named thing, and of those that change something.
_NAMED = {"404": "no such guardrail, version, alias, key or record"}
_CHANGES = {"409": "it exists already, or it conflicts with the current state"}
#: Operations without a key: what they may still answer (the body limits apply to every request).
_OPEN = {status: _ANY[status] for status in ("400", "408", "413", "500", "503")}


def _error_responses(path: str, method: str, operation: dict[str, Any]) -> dict[str, str]:
    if path in ("/health", "/about"):  # open to anyone: no key to refuse
        return _OPEN
    statuses = dict(_ANY)
    if "{" in path:
        statuses.update(_NAMED)
    if method in ("post", "put", "delete"):
        statuses.update(_CHANGES)
    if "proxy" in operation.get("tags", []):  # the upstream's failures, relayed
        statuses.update({"404": _NAMED["404"], "502": "the upstream failed", "504": "the upstream timed out"})
    return statuses


def _hoist_definitions(schema: dict[str, Any], components: dict[str, Any]) -> None:
    """Move the ``$defs`` that model schemas bring (``openapi_extra`` bodies, policy documents)
    into the components, where their ``#/components/schemas/...`` references point."""
    stack: list[Any] = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for name, definition in node.pop("$defs", {}).items():
                if components.setdefault(name, definition) != definition:
                    raise ValueError(f"two different schemas are both named {name!r}")
                stack.append(definition)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def _document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = _ERROR_SCHEMA
    components["OpenAIError"] = _OPENAI_ERROR_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    _hoist_definitions(schema, components)
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            responses.pop("422", None)
            body: dict[str, Any] = _ERROR
            if "proxy" in operation.get("tags", []):
                body = {"anyOf": [{"$ref": "#/components/schemas/OpenAIError"}, _ERROR]}
            for status, description in _error_responses(path, method, operation).items():
                responses.setdefault(
                    status, {"description": description, "content": {"application/json": {"schema": body}}}
                )
    return schema


def install(app: FastAPI) -> None:
    """Replace ``app.openapi`` with one that documents every error status (built once)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = _document_errors(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
