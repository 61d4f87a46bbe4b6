"""Every Steward error becomes an OpenAI-style error with a status a client can act on."""

from __future__ import annotations

import pytest

from steward import errors
from steward.errors import StewardError
from steward.proxy.openai_format import error_parts


@pytest.mark.parametrize(
    ("exc", "status", "type_", "code"),
    [
        (errors.InputError("is bad", field="messages"), 400, "invalid_request_error", "invalid_request"),
        (
            errors.InputTooLargeError(field="body", size=9, limit=1, unit="bytes"),
            400,
            "invalid_request_error",
            "invalid_request",
        ),
        (errors.NotFoundError("guardrail", "g"), 404, "invalid_request_error", "guardrail_not_found"),
        (errors.AuthError("no key"), 401, "authentication_error", "invalid_api_key"),
        (errors.PermissionDeniedError("role"), 403, "permission_error", "permission_denied"),
        (errors.ThrottledError("slow down"), 429, "rate_limit_error", "rate_limit_exceeded"),
        (
            errors.UpstreamRejectedError("no such model", status=404),
            404,
            "upstream_error",
            "upstream_rejected",
        ),
        (errors.UpstreamError("down"), 502, "upstream_error", "upstream_failed"),
        (errors.UpstreamTimeoutError("late"), 504, "upstream_error", "upstream_timeout"),
        (errors.StorageError("db"), 503, "server_error", "unavailable"),
        (errors.DetectorUnavailableError("no model"), 503, "server_error", "unavailable"),
        # The same status as the Bedrock API answers (tests/test_error_tables.py keeps them equal).
        (errors.PolicyError("stored policy is invalid"), 400, "invalid_request_error", "invalid_policy"),
        (errors.ConflictError("exists"), 409, "invalid_request_error", "conflict"),
        (errors.InvalidSignatureError("stale"), 403, "permission_error", "invalid_signature"),
        (errors.StewardError("a known failure"), 500, "server_error", "steward_error"),
    ],
)
def test_status_type_and_code(exc: StewardError, status: int, type_: str, code: str) -> None:
    got_status, body = error_parts(exc)
    assert got_status == status
    assert body["error"]["type"] == type_
    assert body["error"]["code"] == code
    assert body["error"]["message"] == exc.message


def test_input_errors_name_the_field_as_param() -> None:
    _, body = error_parts(errors.InputError("must be a list", field="messages"))
    assert body["error"]["param"] == "messages"
    assert body["error"]["message"] == "messages: must be a list"
