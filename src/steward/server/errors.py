"""Errors as Bedrock shapes them: ``{"message": ...}`` plus an ``x-amzn-ErrorType`` header.

boto3 reads the header to raise the matching exception class (``ValidationException``,
``ResourceNotFoundException``...), so SDK users handle Steward's errors as Bedrock's. Which
status and type each Steward error gets is the table in :mod:`steward.server.bedrock`; this
module installs the handlers that apply it. Anything unexpected becomes a 500
carrying the request id, answered by :mod:`steward.server.middleware` so that it carries the
request-id header like every other answer (the cause is logged by type only, never with request
content).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Match

from steward.errors import StewardError
from steward.server.bedrock import HTTP_ERROR_TYPES, status_for
from steward.server.bounds import TOO_DEEP_MESSAGE
from steward.store.errors import DRIVER_ERROR
from steward.validation import UNKNOWN_FIELD, field_path

__all__ = ["error_response", "install_error_handlers", "status_for"]

log = logging.getLogger(__name__)


def error_response(
    status: int,
    kind: str,
    message: str,
    *,
    extra: dict[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A Bedrock-style error response (``headers`` adds to ``x-amzn-ErrorType``)."""
    body: dict[str, Any] = {"message": message}
    if extra:
        body.update(extra)
    return Response(
        orjson.dumps(body),
        status_code=status,
        media_type="application/json",
        headers={**(headers or {}), "x-amzn-ErrorType": kind},
    )


def _request_id(request: Request) -> str | None:
    rid = getattr(request.state, "request_id", None)
    return rid if isinstance(rid, str) else None


def _field_path(loc: tuple[Any, ...]) -> str:
    return field_path(loc, skip=("body", "query", "path", "header")) or "(request body)"


def _validation_message(exc: RequestValidationError) -> str:
    problems = []
    for err in exc.errors()[:10]:
        loc = tuple(err.get("loc", ()))
        kind = err.get("type", "")
        if kind == "json_invalid":
            problems.append("the request body is not valid JSON")
        elif kind == "missing" and loc == ("body",):
            problems.append("the request body is missing")
        elif loc == ("body",) and kind in ("model_attributes_type", "dict_type", "model_type"):
            problems.append(
                "the request body must be a JSON object, sent with Content-Type: application/json"
            )
        elif kind == "extra_forbidden":
            problems.append(f"{_field_path(loc)}: {UNKNOWN_FIELD}")
        else:
            problems.append(f"{_field_path(loc)}: {err.get('msg', 'is invalid')}")
    return "; ".join(dict.fromkeys(problems)) or "the request is invalid"


def _allowed_methods(request: Request) -> str:
    """Every method some route serves on this path (Starlette names only the first route's).

    Asks the router, method by method, whether a route would take the request: routers nest, so
    this is the one question every route answers the same way.
    """
    routes = request.app.router.routes
    allowed = [
        method
        for method in _METHODS
        if any(route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes)
    ]
    return ", ".join(allowed)


_METHODS = ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT")


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every error into a Bedrock-style body."""

    async def steward_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StewardError)
        status, kind = status_for(exc)
        if status >= 500:
            log.error("request %s failed: %s", _request_id(request), type(exc).__name__)
        return error_response(status, kind, exc.message)

    async def validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return error_response(400, "ValidationException", _validation_message(exc))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        kind = HTTP_ERROR_TYPES.get(
            exc.status_code, "ValidationException" if exc.status_code < 500 else "InternalServerException"
        )
        detail = exc.detail if isinstance(exc.detail, str) else "the request is invalid"
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no such operation: {request.method} {request.url.path}"
        elif exc.status_code == 405:
            detail = f"method {request.method} is not allowed on {request.url.path}"
            headers = {**(exc.headers or {}), "Allow": _allowed_methods(request)}
            return error_response(405, kind, detail, headers=headers)
        elif exc.status_code == 400 and "parsing the body" in detail:
            # FastAPI raises this one error for every decoding failure; the cause tells them apart.
            if isinstance(exc.__cause__, RecursionError):
                detail = f"the request body {TOO_DEEP_MESSAGE}"
            elif isinstance(exc.__cause__, UnicodeDecodeError):
                detail = f"the request body is not valid UTF-8 (byte {exc.__cause__.start})"
            else:
                detail = "the request body could not be decoded: it must be UTF-8 JSON"
        return error_response(exc.status_code, kind, detail, headers=exc.headers)

    async def database_error(request: Request, exc: Exception) -> Response:
        # The driver's message can quote SQL and parameters (request content): log the kind only.
        log.error("request %s: database error %s", _request_id(request), type(exc).__name__)
        return error_response(
            503, "ServiceUnavailableException", "the database failed or is not reachable; retry later"
        )

    app.add_exception_handler(StewardError, steward_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(DRIVER_ERROR, database_error)
