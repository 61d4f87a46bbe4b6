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
)

__all__ = ["DONE", "ERRORS", "chunk", "completion", "error_body", "error_parts", "sse"]

#: The last event of every OpenAI stream.
DONE = b"data: [DONE]\n\n"


def _completion_id() -> str:
    return "chatcmpl-steward-" + uuid.uuid4().hex


def error_body(message: str, *, type_: str, code: str, param: str | None = None) -> dict[str, Any]:
    """OpenAI's error envelope: ``{"error": {"message", "type", "param", "code"}}``."""
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


#: Each Steward error's (HTTP status, OpenAI error ``type``, ``code``); every class of
#: :mod:`steward.errors` is listed and an error takes its nearest listed class. A status of
#: ``None`` relays the upstream's own (:class:`UpstreamRejectedError`); a code of ``None`` is
#: ``<kind>_not_found`` (``guardrail_not_found``, ``alias_not_found``...).
ERRORS: dict[type[StewardError], tuple[int | None, str, str | None]] = {
    StewardError: (500, "server_error", "steward_error"),
    PolicyError: (400, "invalid_request_error", "invalid_policy"),
    PolicyNotFoundError: (400, "invalid_request_error", "policy_not_found"),
    InputError: (400, "invalid_request_error", "invalid_request"),
    InputTooLargeError: (400, "invalid_request_error", "invalid_request"),
    DetectorUnavailableError: (503, "server_error", "unavailable"),
    StorageError: (503, "server_error", "unavailable"),
    NotFoundError: (404, "invalid_request_error", None),
    ConflictError: (409, "invalid_request_error", "conflict"),
    ShreddedError: (503, "server_error", "unavailable"),
    AuthError: (401, "authentication_error", "invalid_api_key"),
    InvalidSignatureError: (403, "permission_error", "invalid_signature"),
    PermissionDeniedError: (403, "permission_error", "permission_denied"),
    ThrottledError: (429, "rate_limit_error", "rate_limit_exceeded"),
    UpstreamError: (502, "upstream_error", "upstream_failed"),
    UpstreamRejectedError: (None, "upstream_error", "upstream_rejected"),
    UpstreamTimeoutError: (504, "upstream_error", "upstream_timeout"),
}


def error_parts(exc: StewardError) -> tuple[int, dict[str, Any]]:
    """The status and OpenAI error body for one of Steward's errors (its nearest class in :data:`ERRORS`)."""
    status: int | None = 500
    type_, code = "server_error", "steward_error"
    for cls in type(exc).__mro__:
        if cls in ERRORS:
            status, type_, code_or_none = ERRORS[cls]
            code = code_or_none or ""
            break
    if status is None:
        status = exc.status if isinstance(exc, UpstreamRejectedError) else 502
    if isinstance(exc, NotFoundError) and not code:
        code = exc.kind.lower().replace(" ", "_") + "_not_found"
    param = exc.field if isinstance(exc, InputError) else None
    return status, error_body(exc.message, type_=type_, code=code, param=param)


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
