"""The server key, and sealing API-key secrets with it.

Verifying an AWS SigV4 signature needs the signer's secret itself (the signature is an
HMAC chain keyed by it), so a one-way hash is not enough. Each key's secret is therefore
stored twice: a slow scrypt hash (for bearer tokens) and a copy encrypted with Fernet
(AES-128-CBC + HMAC-SHA256) under a server key that never enters the database. A stolen
database alone reveals no secret; the database plus the server key does.

With an :class:`~steward.store.envelope.Envelope` (as the server and the CLI build it), new
texts are sealed with envelope encryption instead (AES-GCM under a per-scope, per-day data
key wrapped by the master key); texts sealed before (bare Fernet tokens) stay readable, so
no migration of old rows is needed. The envelope format starts with ``v2.``; a Fernet token
always starts with ``gAAAAA``, so the two never clash.

The server key comes from ``STEWARD_SECRET_KEY`` (a Fernet key), else the file
``<data dir>/secret.key``, created with mode 0600 on first use. Every process that
shares a database must share this key.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy.orm import Session, sessionmaker

from steward.errors import StorageError
from steward.settings import Settings
from steward.store.envelope import PREFIX, Envelope, LocalKeyProvider
from steward.store.files import private_dir

__all__ = ["Sealer", "load_server_key", "open_sealer"]

KEY_FILE = "secret.key"


def load_server_key(data_dir: Path) -> bytes:
    """The server key from the environment or the data directory (created if missing)."""
    explicit = Settings.from_env().secret("secret_key")
    if explicit:
        key = explicit.encode("ascii", "replace")
        _check(key, "STEWARD_SECRET_KEY")
        return key
    path = private_dir(data_dir) / KEY_FILE
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it first; read theirs
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(Fernet.generate_key())
    try:
        key = path.read_bytes().strip()
    except OSError as exc:
        raise StorageError(f"the server key file {path} cannot be read: {exc.strerror}") from None
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
    """Seals kept text: with the envelope when given one, else (and for old rows) with the server key."""

    def __init__(self, key: bytes, *, envelope: Envelope | None = None) -> None:
        self._fernet = Fernet(key)
        self.envelope = envelope

    def seal(self, secret: str, *, scope: str = "keys") -> str:
        """The text encrypted, as text for the database; ``scope`` picks the data key's retention."""
        if self.envelope is not None:
            return self.envelope.encrypt(secret, scope=scope)
        return self._fernet.encrypt(secret.encode("utf-8")).decode("ascii")

    def unseal(self, sealed: str) -> str:
        """The text back; :class:`StorageError` if the key does not match, ShreddedError if shredded."""
        if sealed.startswith(PREFIX + "."):
            if self.envelope is None:
                raise StorageError(
                    "this text was sealed with envelope encryption; open it with the master key"
                )
            return self.envelope.decrypt(sealed)
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode("utf-8")
        except (InvalidToken, ValueError):
            raise StorageError(
                "a sealed text cannot be decrypted: this server's key differs from the one that created it"
            ) from None


def open_sealer(
    sessions: sessionmaker[Session], data_dir: Path, *, server_key: bytes | None = None
) -> Sealer:
    """The sealer the server and the CLI use: envelope encryption under the configured master key."""
    key = server_key if server_key is not None else load_server_key(data_dir)
    return Sealer(key, envelope=Envelope(sessions, LocalKeyProvider(data_dir, server_key=key)))
