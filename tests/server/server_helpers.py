"""Helpers shared by the server tests (imported as a plain module; tests are not a package)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from steward.server import sigv4
from steward.store.keys import NewKey

#: A small deterministic policy: mask e-mail addresses, block a custom word.
SMALL_POLICY: dict[str, Any] = {
    "name": "small",
    "description": "test policy",
    "word_filters": {"words": ["zorblax"]},
    "sensitive_information": {"pii_entities": [{"type": "EMAIL"}]},
}


def bearer(key: NewKey) -> dict[str, str]:
    """The Authorization header for ``key``."""
    return {"Authorization": f"Bearer {key.bearer}"}


def apply_body(*texts: str, source: str = "INPUT", **extra: Any) -> dict[str, Any]:
    """An ApplyGuardrail request body with one text block per text."""
    return {"source": source, "content": [{"text": {"text": t}} for t in texts], **extra}


def sigv4_sign(
    *,
    access_key_id: str,
    secret: str,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Mapping[str, str],
    body: bytes,
    region: str,
    service: str,
    amz_date: str,
) -> str:
    """An AWS SigV4 Authorization header for a request, as boto3 would send it (the server only
    verifies signatures; signing is the client's job, so it lives with the tests).

    ``headers`` must include ``host`` and ``x-amz-date``; every header given is signed.
    """
    names = sorted(h.lower() for h in headers)
    lowered = {k.lower(): [v] for k, v in headers.items()}
    canonical = sigv4.canonical_request(
        method=method,
        raw_path=raw_path,
        raw_query=raw_query,
        headers=lowered,
        signed_headers=names,
        payload_hash=hashlib.sha256(body).hexdigest(),
    )
    scope = f"{amz_date[:8]}/{region}/{service}/aws4_request"
    key = sigv4.signing_key(secret, amz_date[:8], region, service)
    signature = hmac.new(
        key, sigv4.string_to_sign(amz_date, scope, canonical).encode(), hashlib.sha256
    ).hexdigest()
    return f"{sigv4.ALGORITHM} Credential={access_key_id}/{scope}, SignedHeaders={';'.join(names)}, Signature={signature}"
