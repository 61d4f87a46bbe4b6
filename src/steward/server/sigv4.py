"""Verifying AWS Signature Version 4, so boto3 and the AWS SDKs can call Steward unchanged.

The client signs a canonical form of the request with a key derived from its secret
(HMAC-SHA256 chain over date, region, service); we rebuild the same canonical request
from what arrived, derive the same key from the stored secret, and compare in constant
time. The request date must be within :data:`MAX_CLOCK_SKEW_S` of ours, which bounds
replay. Reference: AWS "Create a signed AWS API request" (SigV4), as botocore implements it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote

from steward.errors import AuthError, InvalidSignatureError

__all__ = ["ALGORITHM", "MAX_CLOCK_SKEW_S", "SigV4Credential", "parse_authorization", "verify"]

ALGORITHM = "AWS4-HMAC-SHA256"
#: How far the request's X-Amz-Date may be from the server clock (AWS allows 15 minutes).
MAX_CLOCK_SKEW_S = 15 * 60

_AUTH_RE = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<cred>[^,\s]+)\s*,\s*SignedHeaders=(?P<headers>[^,\s]+)"
    r"\s*,\s*Signature=(?P<sig>[0-9a-f]{64})\s*$"
)


@dataclass(frozen=True, slots=True)
class SigV4Credential:
    """The parts of an ``Authorization: AWS4-HMAC-SHA256 ...`` header."""

    access_key_id: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str

    @property
    def scope(self) -> str:
        """The credential scope, ``date/region/service/aws4_request``."""
        return f"{self.date}/{self.region}/{self.service}/aws4_request"


def parse_authorization(header: str) -> SigV4Credential:
    """Split a SigV4 Authorization header; :class:`AuthError` if it is malformed."""
    match = _AUTH_RE.match(header.strip())
    if not match:
        raise AuthError("the AWS4-HMAC-SHA256 Authorization header is malformed")
    parts = match.group("cred").split("/")
    if len(parts) != 5 or parts[4] != "aws4_request" or not re.fullmatch(r"\d{8}", parts[1]):
        raise AuthError("the SigV4 credential scope must be KEYID/YYYYMMDD/REGION/SERVICE/aws4_request")
    headers = tuple(match.group("headers").split(";"))
    return SigV4Credential(parts[0], parts[1], parts[2], parts[3], headers, match.group("sig"))


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """The SigV4 signing key: HMAC chain of date, region, service and ``aws4_request``."""
    k = _hmac(("AWS4" + secret).encode("utf-8"), date)
    k = _hmac(k, region)
    k = _hmac(k, service)
    return _hmac(k, "aws4_request")


def _canonical_uri(raw_path: str) -> str:
    # botocore quotes the already-encoded path once more (safe "/~") for every service but S3.
    return quote(raw_path or "/", safe="/~")


def _canonical_query(raw_query: str) -> str:
    pairs = parse_qsl(raw_query, keep_blank_values=True)
    encoded = sorted((quote(k, safe="-_.~"), quote(v, safe="-_.~")) for k, v in pairs)
    return "&".join(f"{k}={v}" for k, v in encoded)


def canonical_request(
    *,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Mapping[str, Sequence[str]],
    signed_headers: Sequence[str],
    payload_hash: str,
) -> str:
    """The canonical request the signature covers; ``headers`` maps lower-case names to values."""
    lines = []
    for name in signed_headers:
        values = headers.get(name)
        if values is None:
            raise InvalidSignatureError(f"the signed header {name!r} is missing from the request")
        lines.append(f"{name}:{','.join(' '.join(v.split()) for v in values)}\n")
    return "\n".join(
        [
            method.upper(),
            _canonical_uri(raw_path),
            _canonical_query(raw_query),
            "".join(lines),
            ";".join(signed_headers),
            payload_hash,
        ]
    )


def string_to_sign(amz_date: str, scope: str, canonical: str) -> str:
    """The SigV4 string to sign."""
    return "\n".join([ALGORITHM, amz_date, scope, hashlib.sha256(canonical.encode("utf-8")).hexdigest()])


def _request_time(amz_date: str) -> datetime:
    try:
        return datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise AuthError("X-Amz-Date must look like 20240131T235959Z") from None


def verify(
    credential: SigV4Credential,
    *,
    secret: str,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Mapping[str, Sequence[str]],
    body: bytes,
    now: datetime | None = None,
    key_for: Callable[[str, str, str, str], bytes] = signing_key,
) -> None:
    """Check a SigV4 signature; raise :class:`InvalidSignatureError` if it does not match."""
    if "host" not in credential.signed_headers:
        raise InvalidSignatureError("the signature must cover the Host header")
    amz_dates = headers.get("x-amz-date")
    if not amz_dates:
        raise InvalidSignatureError("SigV4 requests need an X-Amz-Date header")
    amz_date = amz_dates[0].strip()
    when = _request_time(amz_date)
    if amz_date[:8] != credential.date:
        raise InvalidSignatureError("the credential scope date differs from X-Amz-Date")
    skew = abs(((now or datetime.now(UTC)) - when).total_seconds())
    if skew > MAX_CLOCK_SKEW_S:
        raise InvalidSignatureError(
            f"the request was signed {int(skew)} s away from the server clock (limit {MAX_CLOCK_SKEW_S} s)"
        )
    payload_hash = hashlib.sha256(body).hexdigest()
    claimed = headers.get("x-amz-content-sha256")
    if claimed and claimed[0] not in (payload_hash, "UNSIGNED-PAYLOAD"):
        raise InvalidSignatureError("X-Amz-Content-SHA256 does not match the body")
    canonical = canonical_request(
        method=method,
        raw_path=raw_path,
        raw_query=raw_query,
        headers=headers,
        signed_headers=credential.signed_headers,
        payload_hash=payload_hash,
    )
    key = key_for(secret, credential.date, credential.region, credential.service)
    expected = hmac.new(key, string_to_sign(amz_date, credential.scope, canonical).encode(), hashlib.sha256)
    if not hmac.compare_digest(expected.hexdigest(), credential.signature):
        raise InvalidSignatureError(
            "the request signature does not match: check the secret key and that the request was not altered"
        )
