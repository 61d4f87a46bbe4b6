"""Webhook delivery of fired alerts: signed with HMAC-SHA256, retried with exponential backoff.

The body is the alert's JSON. Two headers let the receiver check it came from this server
and is fresh: ``X-Steward-Timestamp`` (Unix seconds) and ``X-Steward-Signature``
(``sha256=`` + hex HMAC-SHA256 over ``<timestamp>.<body>`` with the shared secret);
:func:`verify_signature` is the receiver's side. Delivery runs on the server's event loop
with ``httpx.AsyncClient`` and never on a request's path; only URLs the administrator
configured (``STEWARD_ALERT_WEBHOOKS``) are ever called, and redirects are not followed.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "Delivery", "deliver", "sign", "verify_signature"]

log = logging.getLogger(__name__)

TIMESTAMP_HEADER = "X-Steward-Timestamp"
SIGNATURE_HEADER = "X-Steward-Signature"
#: Seconds one delivery attempt may take.
TIMEOUT_S = 10.0


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """The signature header's value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_signature(
    secret: bytes,
    headers: Mapping[str, str],
    body: bytes,
    *,
    tolerance_s: int = 300,
    now: float | None = None,
) -> bool:
    """Whether ``body`` carries a valid signature made within ``tolerance_s`` seconds (receiver side)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    raw_ts = lowered.get(TIMESTAMP_HEADER.lower(), "")
    given = lowered.get(SIGNATURE_HEADER.lower(), "")
    if not raw_ts.isdigit() or not given:
        return False
    timestamp = int(raw_ts)
    if abs((time.time() if now is None else now) - timestamp) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), given)


@dataclass(frozen=True, slots=True)
class Delivery:
    """How a delivery ended."""

    delivered: bool
    attempts: int
    error: str = ""


async def deliver(
    url: str,
    payload: dict[str, Any],
    *,
    secret: bytes,
    retries: int = 5,
    backoff_s: float = 1.0,
    client: httpx.AsyncClient | None = None,
) -> Delivery:
    """POST ``payload`` to ``url``; a 2xx answer is success. Retries after a network error or a
    non-2xx answer, waiting ``backoff_s``, then twice that, and so on, ``retries`` attempts in all."""
    body = orjson.dumps(payload)
    own = client is None
    http = client or httpx.AsyncClient(timeout=TIMEOUT_S, follow_redirects=False, trust_env=False)
    error = ""
    try:
        for attempt in range(1, retries + 1):
            timestamp = int(time.time())
            headers = {
                "content-type": "application/json",
                "user-agent": "steward-alerts",
                TIMESTAMP_HEADER: str(timestamp),
                SIGNATURE_HEADER: sign(secret, timestamp, body),
            }
            try:
                answer = await http.post(url, content=body, headers=headers)
                if 200 <= answer.status_code < 300:
                    return Delivery(True, attempt)
                error = f"HTTP {answer.status_code}"
            except httpx.HTTPError as exc:
                error = type(exc).__name__
            # The URL may hold a token in its query: log the attempt, not the URL.
            log.warning("alert webhook attempt %d of %d failed: %s", attempt, retries, error)
            if attempt < retries:
                await asyncio.sleep(backoff_s * 2 ** (attempt - 1))
        return Delivery(False, retries, error)
    finally:
        if own:
            await http.aclose()
