"""The server key, and sealing API-key secrets with it.

Verifying an AWS SigV4 signature needs the signer's secret itself (the signature is an
HMAC chain keyed by it), so a one-way hash is not enough. Each key's secret is therefore
stored twice: a slow scrypt hash (for bearer tokens) and a copy encrypted with Fernet
(AES-128-CBC + HMAC-SHA256) under a server key that never enters the database. A stolen
database alone reveals no secret; the database plus the server key does.

The server key comes from ``STEWARD_SECRET_KEY`` (a Fernet key), else the file
``<data dir>/secret.key``, created with mode 0600 on first use. Every process that
shares a database must share this key.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from steward.errors import StorageError

__all__ = ["Sealer", "load_server_key"]

KEY_FILE = "secret.key"


def load_server_key(data_dir: Path) -> bytes:
    """The server key from the environment or the data directory (created if missing)."""
    explicit = os.environ.get("STEWARD_SECRET_KEY")
    if explicit:
        key = explicit.strip().encode("ascii", "replace")
        _check(key, "STEWARD_SECRET_KEY")
        return key
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it first; read theirs
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(Fernet.generate_key())
    key = path.read_bytes().strip()
    _check(key, str(path))
    return key


def _check(key: bytes, origin: str) -> None:
    try:
        Fernet(key)
    except (ValueError, TypeError):
        raise StorageError(
            f"the server key in {origin} is not a valid Fernet key (44 url-safe base64 characters)"
        ) from None


class Sealer:
    """Encrypts and decrypts API-key secrets with the server key."""

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    def seal(self, secret: str) -> str:
        """The secret encrypted, as text for the database."""
        return self._fernet.encrypt(secret.encode("utf-8")).decode("ascii")

    def unseal(self, sealed: str) -> str:
        """The secret back; :class:`StorageError` if the server key does not match."""
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode("utf-8")
        except (InvalidToken, ValueError):
            raise StorageError(
                "an API key's secret cannot be decrypted: this server's key differs from the one that created it"
            ) from None
