"""OpenAI's wire format, in one place: completions, stream chunks, SSE lines, errors and their table.

Kept apart from the proxy's logic so the wire format lives in one place and every answer
Steward writes itself (a blocked request, an error) has exactly the shape a client expects.
:data:`ERRORS` says which status, ``type`` and ``code`` each Steward error gets; it gives every
error the same status as the Bedrock API's table (:mod:`steward.server.bedrock`), and a test
keeps both tables complete and in agreement.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from steward.errors import (
    HTTP_STATUS,
    AuthError,
    ConflictError,
    DetectorUnavailableError,
    InputError,
    InputTooLargeError,
    InvalidSignatureError,
    NotFoundError,
    PermissionDeniedError,
    PolicyError,
    PolicyNotFoundError,
    ShreddedError,
    StewardError,
    StorageError,
    ThrottledError,
    UpstreamError,
    UpstreamRejectedError,
    UpstreamTimeoutError,
    http_status,
    reported_as,
)

__all__ = ["DONE", "ERRORS", "chunk", "completion", "error_body", "error_parts", "sse"]

#: The last event of every OpenAI stream.
DONE = b"data: [DONE]\n\n"


def _completion_id() -> str:
    return "chatcmpl-steward-" + uuid.uuid4().hex


def error_body(message: str, *, type_: str, code: str, param: str | None = None) -> dict[str, Any]:
    """OpenAI's error envelope: ``{"error": {"message", "type", "param", "code"}}``."""
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


#: OpenAI's error ``type`` for each status a Steward error gets (:data:`steward.errors.HTTP_STATUS`);
#: ``None``: an upstream's refusal, relayed.
_TYPES: dict[int | None, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "invalid_request_error",
    409: "invalid_request_error",
    429: "rate_limit_error",
    500: "server_error",
    502: "upstream_error",
    503: "server_error",
    504: "upstream_error",
    None: "upstream_error",
}

#: Each Steward error's OpenAI error ``code``; ``None`` is ``<kind>_not_found``
#: (``guardrail_not_found``, ``alias_not_found``...).
_CODES: dict[type[StewardError], str | None] = {
    StewardError: "steward_error",
    PolicyError: "invalid_policy",
    PolicyNotFoundError: "policy_not_found",
    InputError: "invalid_request",
    InputTooLargeError: "invalid_request",
    DetectorUnavailableError: "unavailable",
    StorageError: "unavailable",
    NotFoundError: None,
    ConflictError: "conflict",
    ShreddedError: "unavailable",
    AuthError: "invalid_api_key",
    InvalidSignatureError: "invalid_signature",
    PermissionDeniedError: "permission_denied",
    ThrottledError: "rate_limit_exceeded",
    UpstreamError: "upstream_failed",
    UpstreamRejectedError: "upstream_rejected",
    UpstreamTimeoutError: "upstream_timeout",
}

#: Each Steward error's (HTTP status, OpenAI error ``type``, ``code``): the status is the shared
#: :data:`steward.errors.HTTP_STATUS`, so every class is listed and an error takes its nearest
#: listed class. A status of ``None`` relays the upstream's own (:class:`UpstreamRejectedError`).
ERRORS: dict[type[StewardError], tuple[int | None, str, str | None]] = {
    cls: (status, _TYPES[status], _CODES[cls]) for cls, status in HTTP_STATUS.items()
}


def error_parts(exc: StewardError) -> tuple[int, dict[str, Any]]:
    """The status and OpenAI error body for one of Steward's errors (its nearest class in :data:`ERRORS`)."""
    _, type_, code = ERRORS[reported_as(exc)]
    if isinstance(exc, NotFoundError) and not code:
        code = exc.kind.lower().replace(" ", "_") + "_not_found"
    param = exc.field if isinstance(exc, InputError) else None
    return http_status(exc), error_body(exc.message, type_=type_, code=code or "", param=param)


def completion(
    *, model: str, content: str, finish_reason: str, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A one-choice ``chat.completion`` written by Steward itself (the upstream was not asked)."""
    body: dict[str, Any] = {
        "id": _completion_id(),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "logprobs": None,
                "finish_reason": finish_reason,
            }
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }
    if extra:
        body.update(extra)
    return body


def chunk(
    *,
    completion_id: str | None,
    model: str,
    created: int | None = None,
    index: int = 0,
    delta: dict[str, Any],
    finish_reason: str | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One ``chat.completion.chunk`` with a single choice."""
    body: dict[str, Any] = {
        "id": completion_id or _completion_id(),
        "object": "chat.completion.chunk",
        "created": int(time.time()) if created is None else created,
        "model": model,
        "choices": [{"index": index, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
    }
    if extra:
        body.update(extra)
    return body


def sse(data: dict[str, Any]) -> bytes:
    """One server-sent event carrying ``data`` as JSON."""
    return b"data: " + json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n\n"
