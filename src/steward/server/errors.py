"""Errors as Bedrock shapes them: ``{"message": ...}`` plus an ``x-amzn-ErrorType`` header.

boto3 reads the header to raise the matching exception class (``ValidationException``,
``ResourceNotFoundException``...), so SDK users handle Steward's errors as Bedrock's.
Every Steward error maps to a 4xx naming the problem; anything unexpected becomes a 500
carrying the request id (the cause is logged by type only, never with request content).
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from steward.errors import (
    AuthError,
    ConflictError,
    InputError,
    InputTooLargeError,
    InvalidSignatureError,
    NotFoundError,
    PermissionDeniedError,
    PolicyError,
    StewardError,
    StorageError,
    ThrottledError,
    UpstreamError,
)
from steward.validation import UNKNOWN_FIELD, field_path

__all__ = ["error_response", "install_error_handlers", "status_for"]

log = logging.getLogger(__name__)

#: (exception class, HTTP status, x-amzn-ErrorType), most specific first.
_MAPPING: tuple[tuple[type[StewardError], int, str], ...] = (
    (InputTooLargeError, 400, "ValidationException"),
    (PolicyError, 400, "ValidationException"),
    (InputError, 400, "ValidationException"),
    (NotFoundError, 404, "ResourceNotFoundException"),
    (ConflictError, 409, "ConflictException"),
    (InvalidSignatureError, 403, "InvalidSignatureException"),
    (PermissionDeniedError, 403, "AccessDeniedException"),
    (AuthError, 401, "UnrecognizedClientException"),
    (ThrottledError, 429, "ThrottlingException"),
    (UpstreamError, 502, "DependencyFailedException"),
    (StorageError, 503, "ServiceUnavailableException"),
)

_HTTP_TYPES = {
    400: "ValidationException",
    401: "UnrecognizedClientException",
    403: "AccessDeniedException",
    404: "ResourceNotFoundException",
    405: "UnknownOperationException",
    409: "ConflictException",
    413: "ValidationException",
    415: "ValidationException",
    429: "ThrottlingException",
    422: "ValidationException",
}


def status_for(exc: StewardError) -> tuple[int, str]:
    """The HTTP status and Bedrock error type for a Steward error."""
    for cls, status, kind in _MAPPING:
        if isinstance(exc, cls):
            return status, kind
    return 400, "ValidationException"


def error_response(status: int, kind: str, message: str, *, extra: dict[str, Any] | None = None) -> Response:
    """A Bedrock-style error response."""
    body: dict[str, Any] = {"message": message}
    if extra:
        body.update(extra)
    return Response(
        orjson.dumps(body),
        status_code=status,
        media_type="application/json",
        headers={"x-amzn-ErrorType": kind},
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
        kind = _HTTP_TYPES.get(
            exc.status_code, "ValidationException" if exc.status_code < 500 else "InternalServerException"
        )
        detail = exc.detail if isinstance(exc.detail, str) else "the request is invalid"
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no such operation: {request.method} {request.url.path}"
        elif exc.status_code == 405:
            detail = f"method {request.method} is not allowed on {request.url.path}"
        elif exc.status_code == 400 and "parsing the body" in detail:
            detail = "the request body could not be decoded: it must be UTF-8 JSON"
        return error_response(exc.status_code, kind, detail)

    async def database_error(request: Request, exc: Exception) -> Response:
        # The driver's message can quote SQL and parameters (request content): log the kind only.
        log.error("request %s: database error %s", _request_id(request), type(exc).__name__)
        return error_response(
            503, "ServiceUnavailableException", "the database failed or is not reachable; retry later"
        )

    async def unexpected(request: Request, exc: Exception) -> Response:
        rid = _request_id(request)
        log.error("request %s failed unexpectedly: %s", rid, type(exc).__name__)
        return error_response(
            500, "InternalServerException", f"internal error; quote request id {rid} when reporting it"
        )

    app.add_exception_handler(StewardError, steward_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(DBAPIError, database_error)
    app.add_exception_handler(Exception, unexpected)
