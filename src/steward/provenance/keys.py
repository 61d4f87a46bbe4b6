"""The Ed25519 key that signs text receipts, and its public half as a JWK.

Receipts must be checkable by anyone holding the public key, so the key pair is
asymmetric (Ed25519: small keys, fast, deterministic signatures, no parameters to get
wrong). The private key comes from ``STEWARD_PROVENANCE_KEY`` (a PEM file the operator
manages), else ``<data dir>/provenance.key``, created with mode 0600 on first use the same
way :mod:`steward.store.sealing` creates the server key. Every process that signs for one
deployment must share it, or verifiers see several keys.

The key id (``kid``) is the RFC 7638 JWK thumbprint of the public key, so a verifier can
tell "signed by a different key" from "signed by this key, then altered" without trusting
anything the receipt says about itself beyond a hint.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import secrets
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from steward.errors import InputError
from steward.settings import Settings

__all__ = [
    "KEY_ENV",
    "KEY_FILE",
    "b64url",
    "b64url_decode",
    "key_id",
    "load_public_key",
    "load_signing_key",
    "public_jwk",
    "signing_key_path",
]

KEY_ENV = "STEWARD_PROVENANCE_KEY"
KEY_FILE = "provenance.key"
#: A key file or a JWK set is a few hundred bytes; anything far larger is not one.
KEY_FILE_MAX_BYTES = 64 * 1024


def b64url(data: bytes) -> str:
    """Base64url without padding (RFC 7515 section 2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str, *, field: str) -> bytes:
    """Undo :func:`b64url`; an :class:`InputError` naming ``field`` if it is not base64url."""
    if not text or any(ch not in _B64URL for ch in text) or len(text) % 4 == 1:
        raise InputError("is not base64url text", field=field)
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def signing_key_path(data_dir: Path, settings: Settings | None = None) -> Path:
    """Where the signing key is read from: ``STEWARD_PROVENANCE_KEY`` (of ``settings``, by default
    the environment's) or the data directory."""
    explicit = (settings or Settings.from_env()).provenance_key
    return explicit.expanduser() if explicit is not None else data_dir / KEY_FILE


def load_signing_key(
    data_dir: Path, *, create: bool = True, settings: Settings | None = None
) -> Ed25519PrivateKey:
    """The receipt signing key; created in the data directory (0600) when none is configured.

    A configured file (``STEWARD_PROVENANCE_KEY``) is never created: a missing one is an
    operator's mistake worth reporting, not papering over with a fresh key.
    """
    settings = settings or Settings.from_env()
    configured = settings.provenance_key is not None
    path = signing_key_path(data_dir, settings)
    if not path.exists():
        if configured:
            raise InputError(f"names {str(path)!r}, which does not exist", field=KEY_ENV)
        if not create:
            raise InputError(
                f"no receipt signing key at {path}: pass the signer's public key (--public-key)", field="key"
            )
        _create(path)
    field = KEY_ENV if configured else str(path)
    return _private_from_pem(_read(path, field=field), field=field)


def _create(path: Path) -> None:
    """Write a new key beside ``path``, then link it into place.

    The link is atomic and fails if the file exists, so two processes starting together
    agree on one key, and neither ever reads a half-written file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        with contextlib.suppress(FileExistsError):  # another process made it first: read theirs
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _read(path: Path, *, field: str) -> bytes:
    try:
        size = path.stat().st_size
        if size > KEY_FILE_MAX_BYTES:
            raise InputError(
                f"is {size} bytes, over the limit of {KEY_FILE_MAX_BYTES} bytes for a key file", field=field
            )
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror})", field=field) from None


def _private_from_pem(data: bytes, *, field: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise InputError(f"is not an unencrypted PEM private key ({_first_line(exc)})", field=field) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError(f"holds a {type(key).__name__}, not an Ed25519 key", field=field)
    return key


def _first_line(exc: Exception) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]


def public_jwk(key: Ed25519PublicKey) -> dict[str, str]:
    """The public key as a JWK (RFC 8037), with its thumbprint as ``kid``."""
    x = b64url(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
    return {"kty": "OKP", "crv": "Ed25519", "x": x, "alg": "EdDSA", "use": "sig", "kid": _thumbprint(x)}


def key_id(key: Ed25519PublicKey) -> str:
    """The RFC 7638 thumbprint of ``key``: the same text wherever the key is published."""
    return public_jwk(key)["kid"]


def _thumbprint(x: str) -> str:
    canonical = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":"), sort_keys=True)
    return b64url(hashlib.sha256(canonical.encode("ascii")).digest())


def load_public_key(path: Path) -> Ed25519PublicKey:
    """A verifying key from a file: a JWK, a JWK set (as the server publishes), or PEM.

    A PEM private key is accepted too (its public half is used), so the operator can verify
    with the very file that signs.
    """
    field = str(path)
    data = _read(path, field=field)
    if data.lstrip().startswith(b"{"):
        return _public_from_json(data, field=field)
    if b"PRIVATE KEY" in data:
        return _private_from_pem(data, field=field).public_key()
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise InputError(f"is not a JWK, a JWK set or a PEM key ({_first_line(exc)})", field=field) from None
    if not isinstance(key, Ed25519PublicKey):
        raise InputError(f"holds a {type(key).__name__}, not an Ed25519 key", field=field)
    return key


def _public_from_json(data: bytes, *, field: str) -> Ed25519PublicKey:
    try:
        doc: Any = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InputError("is not valid UTF-8 JSON", field=field) from None
    if isinstance(doc, dict) and isinstance(doc.get("keys"), list):
        keys = [k for k in doc["keys"] if isinstance(k, dict) and k.get("kty") == "OKP"]
        if len(keys) != 1:
            raise InputError(f"holds {len(keys)} Ed25519 keys; expected exactly one", field=field)
        doc = keys[0]
    if not isinstance(doc, dict) or doc.get("kty") != "OKP" or doc.get("crv") != "Ed25519":
        raise InputError('is not an Ed25519 JWK ({"kty": "OKP", "crv": "Ed25519", "x": ...})', field=field)
    x = doc.get("x")
    if not isinstance(x, str):
        raise InputError('has no "x" member', field=field)
    raw = b64url_decode(x, field=f"{field}: x")
    if len(raw) != 32:
        raise InputError(f"x is {len(raw)} bytes; an Ed25519 public key is 32", field=field)
    return Ed25519PublicKey.from_public_bytes(raw)
