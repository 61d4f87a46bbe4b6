"""Signed provenance receipts for text: what Steward saw, under which policy, and what it decided.

C2PA has no binding for plain text, so an answer's provenance travels beside it as a
compact JWS (RFC 7515) signed with Ed25519 (``alg: EdDSA``, RFC 8037). The payload holds the
SHA-256 of the *normalised* text, never the text itself, so a receipt can be logged or stored
without the answer it describes.

Normalisation (``norm: "NFC+LF"``): the text is put in Unicode NFC, then every ``\\r\\n`` and
lone ``\\r`` becomes ``\\n``; the result is encoded as UTF-8 and hashed. Nothing else changes:
leading and trailing whitespace, a final newline and case all count. This survives a copy
between systems that differ in line endings or composed accents, and nothing more.

A receipt proves that the holder of the signing key issued it for text with this digest —
in the proxy: that Steward saw and passed exactly this text under this guardrail version. It
does not prove who wrote the text, that the model was the one named (the proxy records the
name the upstream answered with), or anything about a copy without the receipt: stripping
a receipt is trivial.

The header is fixed (``{"alg": "EdDSA", "kid": <RFC 7638 thumbprint>, "typ":
"steward-receipt+jws"}``); any other algorithm is refused, so no ``alg: none`` or HMAC
confusion is possible.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from steward.errors import InputError, InputTooLargeError
from steward.provenance.keys import b64url, b64url_decode, key_id

__all__ = [
    "NORMALIZATION",
    "RECEIPT_MAX_CHARS",
    "RECEIPT_TYPE",
    "TEXT_MAX_BYTES",
    "Decision",
    "Problem",
    "Receipt",
    "ReceiptCheck",
    "decode_receipt",
    "issue_receipt",
    "normalize_text",
    "text_sha256",
    "verify_receipt",
]

RECEIPT_TYPE = "steward-receipt+jws"
NORMALIZATION = "NFC+LF"
#: A receipt travels in an HTTP header; a few hundred characters is normal, 8 KiB is plenty.
RECEIPT_MAX_CHARS = 8192
#: Largest text hashed in one call (a proxy answer is far smaller).
TEXT_MAX_BYTES = 16 << 20
#: Longest model name, guardrail id, version or request id carried in a receipt.
FIELD_MAX_CHARS = 256
_LINE_ENDINGS = re.compile(r"\r\n?")


class Decision(StrEnum):
    """What the guard did with the text the receipt covers."""

    PASSED = "PASSED"
    MASKED = "MASKED"
    BLOCKED = "BLOCKED"


class Problem(StrEnum):
    """Why a receipt does not vouch for a text; each has its own message."""

    WRONG_KEY = "wrong_key"
    RECEIPT_ALTERED = "receipt_altered"
    TEXT_CHANGED = "text_changed"


def normalize_text(text: str) -> str:
    """NFC, then ``\\r\\n`` and ``\\r`` to ``\\n``: the form a receipt's digest is taken of."""
    return unicodedata.normalize("NFC", _LINE_ENDINGS.sub("\n", text))


def text_sha256(text: str) -> str:
    """Hex SHA-256 of the normalised text, UTF-8 encoded."""
    if len(text) > TEXT_MAX_BYTES:
        raise InputTooLargeError(field="text", size=len(text), limit=TEXT_MAX_BYTES)
    try:
        data = normalize_text(text).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InputError(f"holds a lone surrogate at character {exc.start}", field="text") from None
    if len(data) > TEXT_MAX_BYTES:
        raise InputTooLargeError(field="text", size=len(data), limit=TEXT_MAX_BYTES, unit="bytes")
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True)
class Receipt:
    """The claims of one receipt."""

    sha256: str
    decision: Decision
    issued_at: datetime
    request_id: str
    guardrail_id: str | None = None
    guardrail_version: str | None = None
    model: str | None = None

    def to_claims(self) -> dict[str, Any]:
        """The JWS payload (``iat`` in seconds, as in JWT; ``norm`` states the normalisation)."""
        return {
            "iss": "steward",
            "typ": "text-provenance",
            "norm": NORMALIZATION,
            "sha256": self.sha256,
            "decision": self.decision.value,
            "iat": int(self.issued_at.timestamp()),
            "request_id": self.request_id,
            "guardrail_id": self.guardrail_id,
            "guardrail_version": self.guardrail_version,
            "model": self.model,
        }

    def to_dict(self) -> dict[str, Any]:
        """The claims with a readable time, for reports."""
        claims = self.to_claims()
        claims["issued_at"] = self.issued_at.isoformat()
        return claims

    @classmethod
    def from_claims(cls, claims: Any) -> Receipt:
        """Read a payload back; an :class:`InputError` names the first bad claim."""
        if not isinstance(claims, dict):
            raise InputError("payload is not a JSON object", field="receipt")
        if claims.get("norm") != NORMALIZATION:
            raise InputError(f"norm must be {NORMALIZATION!r}, not {claims.get('norm')!r}", field="receipt")
        digest = claims.get("sha256")
        if not isinstance(digest, str) or not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise InputError("sha256 must be 64 lowercase hex characters", field="receipt")
        try:
            decision = Decision(str(claims.get("decision")))
        except ValueError:
            raise InputError(
                f"decision must be one of {', '.join(d.value for d in Decision)}", field="receipt"
            ) from None
        iat = claims.get("iat")
        if not isinstance(iat, int) or isinstance(iat, bool) or not 0 <= iat < 1 << 40:
            raise InputError("iat must be a whole number of seconds since 1970", field="receipt")
        request_id = claims.get("request_id")
        if not isinstance(request_id, str):
            raise InputError("request_id must be text", field="receipt")
        return cls(
            sha256=digest,
            decision=decision,
            issued_at=datetime.fromtimestamp(iat, UTC),
            request_id=_check_field("request_id", request_id) or "",
            guardrail_id=_check_field("guardrail_id", claims.get("guardrail_id")),
            guardrail_version=_check_field("guardrail_version", claims.get("guardrail_version")),
            model=_check_field("model", claims.get("model")),
        )


def _check_field(name: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(f"{name} must be text or null", field="receipt")
    if len(value) > FIELD_MAX_CHARS:
        raise InputError(f"{name} is over {FIELD_MAX_CHARS} characters", field="receipt")
    return value


def issue_receipt(
    text: str,
    *,
    key: Ed25519PrivateKey,
    decision: Decision | str,
    request_id: str,
    guardrail_id: str | None = None,
    guardrail_version: str | None = None,
    model: str | None = None,
    issued_at: datetime | None = None,
) -> str:
    """Sign a receipt for ``text`` and return it as a compact JWS (``header.payload.signature``)."""
    try:
        decision = Decision(decision)
    except ValueError:
        raise InputError(
            f"must be one of {', '.join(d.value for d in Decision)}, not {decision!r}", field="decision"
        ) from None
    for name, value in (
        ("request_id", request_id),
        ("guardrail_id", guardrail_id),
        ("guardrail_version", guardrail_version),
        ("model", model),
    ):
        if value is not None and len(value) > FIELD_MAX_CHARS:
            raise InputTooLargeError(field=name, size=len(value), limit=FIELD_MAX_CHARS)
    receipt = Receipt(
        sha256=text_sha256(text),
        decision=decision,
        issued_at=issued_at or datetime.now(UTC),
        request_id=request_id,
        guardrail_id=guardrail_id,
        guardrail_version=guardrail_version,
        model=model,
    )
    header = {"alg": "EdDSA", "kid": key_id(key.public_key()), "typ": RECEIPT_TYPE}
    signing_input = f"{_encode(header)}.{_encode(receipt.to_claims())}"
    signature = key.sign(signing_input.encode("ascii"))
    return f"{signing_input}.{b64url(signature)}"


def _encode(obj: dict[str, Any]) -> str:
    return b64url(json.dumps(obj, separators=(",", ":"), sort_keys=True, ensure_ascii=True).encode("ascii"))


def _decode_json(part: str, *, what: str) -> Any:
    raw = b64url_decode(part, field=f"receipt {what}")
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InputError(f"{what} is not base64url-encoded JSON", field="receipt") from None


@dataclass(frozen=True, slots=True)
class _Parsed:
    header: dict[str, Any]
    receipt: Receipt
    signing_input: bytes
    signature: bytes


def _parse(token: str) -> _Parsed:
    token = token.strip()
    if len(token) > RECEIPT_MAX_CHARS:
        raise InputTooLargeError(field="receipt", size=len(token), limit=RECEIPT_MAX_CHARS)
    parts = token.split(".")
    if len(parts) != 3:
        raise InputError(
            f"is not a compact JWS (header.payload.signature): it has {len(parts)} part(s)", field="receipt"
        )
    header = _decode_json(parts[0], what="header")
    if not isinstance(header, dict):
        raise InputError("header is not a JSON object", field="receipt")
    if header.get("alg") != "EdDSA":
        raise InputError(f"alg must be 'EdDSA', not {header.get('alg')!r}", field="receipt")
    if header.get("typ") != RECEIPT_TYPE:
        raise InputError(f"typ must be {RECEIPT_TYPE!r}, not {header.get('typ')!r}", field="receipt")
    if "crit" in header:
        raise InputError("header carries 'crit' extensions this verifier does not know", field="receipt")
    receipt = Receipt.from_claims(_decode_json(parts[1], what="payload"))
    signature = b64url_decode(parts[2], field="receipt signature")
    return _Parsed(header, receipt, f"{parts[0]}.{parts[1]}".encode("ascii"), signature)


def decode_receipt(token: str) -> Receipt:
    """The claims of a receipt, UNVERIFIED (for display); :class:`InputError` if malformed."""
    return _parse(token).receipt


@dataclass(frozen=True, slots=True)
class ReceiptCheck:
    """The outcome of :func:`verify_receipt`; ``problem`` is None when the receipt holds."""

    receipt: Receipt
    problem: Problem | None
    message: str
    key_id: str

    @property
    def ok(self) -> bool:
        """True when the signature is good and the text matches."""
        return self.problem is None


def verify_receipt(text: str, token: str, public_key: Ed25519PublicKey) -> ReceiptCheck:
    """Check ``token``'s signature with ``public_key`` and that it covers ``text``.

    Three failures are told apart: the receipt names another key (``kid`` differs: a wrong
    key, or a receipt from another deployment), the signature fails under the named key (the
    receipt was altered after signing), or the signature holds but the digest differs (the
    text was changed). The ``kid`` is only a hint: altering it is reported as a wrong key, and
    either way the receipt is refused. A malformed receipt raises :class:`InputError`.
    """
    parsed = _parse(token)
    kid = key_id(public_key)
    if parsed.header.get("kid") != kid:
        return ReceiptCheck(
            parsed.receipt,
            Problem.WRONG_KEY,
            f"the receipt was signed by another key (kid {str(parsed.header.get('kid'))[:64]!r}), "
            f"not by this public key (kid {kid!r})",
            kid,
        )
    try:
        public_key.verify(parsed.signature, parsed.signing_input)
    except InvalidSignature:
        return ReceiptCheck(
            parsed.receipt,
            Problem.RECEIPT_ALTERED,
            "the receipt's signature does not verify under its key: the receipt was altered after signing",
            kid,
        )
    actual = text_sha256(text)
    if actual != parsed.receipt.sha256:
        return ReceiptCheck(
            parsed.receipt,
            Problem.TEXT_CHANGED,
            f"the text was changed: its SHA-256 ({NORMALIZATION}) is {actual}, "
            f"the receipt was issued for {parsed.receipt.sha256}",
            kid,
        )
    return ReceiptCheck(parsed.receipt, None, "the receipt is valid and matches the text", kid)
