"""The access log: one line per request on the ``steward.access`` logger.

A line names the method, the route *template* (``/v1/guardrails/{guardrail_id}``, never the
path as sent, whose ids and query could carry anything), the status, the duration in
milliseconds, the request id and the API key id. It never holds the body, the text, the query
string or any header value: the request id leads from a line to the audit record, which holds
what the policy lets it keep. Requests no route matched are logged with the route ``-``.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.types import Scope

__all__ = ["ACCESS_LOGGER", "log_request"]

#: The logger name; ``steward serve`` sends it to stderr at level INFO.
ACCESS_LOGGER = "steward.access"

log = logging.getLogger(ACCESS_LOGGER)


def _route(scope: Scope) -> str:
    route: Any = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return template if isinstance(template, str) else "-"


def _key_id(scope: Scope) -> str:
    caller = scope.get("state", {}).get("caller")
    key_id = getattr(caller, "key_id", None)
    return key_id if isinstance(key_id, str) else "-"


def log_request(scope: Scope, status: int, duration_ms: float, request_id: str) -> None:
    """Log one finished request (``status`` 0: the client left before any answer began)."""
    if not log.isEnabledFor(logging.INFO):
        return
    log.info(
        "method=%s route=%s status=%d ms=%.1f request_id=%s key=%s",
        scope.get("method", "-"),
        _route(scope),
        status,
        duration_ms,
        request_id,
        _key_id(scope),
    )
