"""Every Steward error becomes an OpenAI-style error with a status a client can act on."""

from __future__ import annotations

import pytest

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
    StewardError,
    StorageError,
    ThrottledError,
    UpstreamError,
    UpstreamRejectedError,
    UpstreamTimeoutError,
)
from steward.proxy.openai_format import error_parts


@pytest.mark.parametrize(
    ("exc", "status", "type_", "code"),
    [
        (InputError("is bad", field="messages"), 400, "invalid_request_error", "invalid_request"),
        (
            InputTooLargeError(field="body", size=9, limit=1, unit="bytes"),
            400,
            "invalid_request_error",
            "invalid_request",
        ),
        (NotFoundError("guardrail", "g"), 404, "invalid_request_error", "guardrail_not_found"),
        (AuthError("no key"), 401, "authentication_error", "invalid_api_key"),
        (PermissionDeniedError("role"), 403, "permission_error", "permission_denied"),
        (ThrottledError("slow down"), 429, "rate_limit_error", "rate_limit_exceeded"),
        (UpstreamRejectedError("no such model", status=404), 404, "upstream_error", "upstream_rejected"),
        (UpstreamError("down"), 502, "upstream_error", "upstream_failed"),
        (UpstreamTimeoutError("late"), 504, "upstream_error", "upstream_timeout"),
        (StorageError("db"), 503, "server_error", "unavailable"),
        (DetectorUnavailableError("no model"), 503, "server_error", "unavailable"),
        # The same status as the Bedrock API answers (tests/test_error_tables.py keeps them equal).
        (PolicyError("stored policy is invalid"), 400, "invalid_request_error", "invalid_policy"),
        (ConflictError("exists"), 409, "invalid_request_error", "conflict"),
        (InvalidSignatureError("stale"), 403, "permission_error", "invalid_signature"),
        (StewardError("a known failure"), 500, "server_error", "steward_error"),
    ],
)
def test_status_type_and_code(exc: StewardError, status: int, type_: str, code: str) -> None:
    got_status, body = error_parts(exc)
    assert got_status == status
    assert body["error"]["type"] == type_
    assert body["error"]["code"] == code
    assert body["error"]["message"] == exc.message


def test_input_errors_name_the_field_as_param() -> None:
    _, body = error_parts(InputError("must be a list", field="messages"))
    assert body["error"]["param"] == "messages"
    assert body["error"]["message"] == "messages: must be a list"
