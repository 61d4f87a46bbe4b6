"""Telling "the server key differs" apart from "the data was changed".

The first process that opens a database with a server key records a fingerprint of it
(an HMAC of a fixed label under the key: it reveals nothing about the key). Later
processes compare theirs: a different key would seal API-key secrets no server can open
and make every audit record look forged, so commands that need the key refuse with a
message that says the key differs and where the key comes from. A database from before
fingerprints is checked against an API-key secret sealed there before the key is recorded.
"""

from __future__ import annotations

import hashlib
import hmac
from enum import StrEnum

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from steward.errors import StorageError
from steward.store.models.core import ApiKey, ServerKeyCheck
from steward.store.sealing import Sealer

__all__ = ["KeyCheck", "check_server_key", "key_fingerprint"]

_NAME = "server-key"
_LABEL = b"steward server key check v1"


class KeyCheck(StrEnum):
    """How a process's server key compares with the one the database knows."""

    RECORDED = "recorded"  # the database knew none; this key's fingerprint is now stored
    MATCHES = "matches"
    DIFFERS = "differs"


def key_fingerprint(server_key: bytes) -> str:
    """A one-way fingerprint of ``server_key`` (hex, 64 characters)."""
    return hmac.new(server_key, _LABEL, hashlib.sha256).hexdigest()


def _opens(server_key: bytes, sealed: str, sealer: Sealer | None) -> bool:
    if sealer is not None:  # envelope-sealed secrets open only with this process's master key
        try:
            sealer.unseal(sealed)
        except StorageError:
            return False
        return True
    if sealed.startswith("v2."):
        return True  # not sealed with the server key: says nothing about it
    try:
        Fernet(server_key).decrypt(sealed.encode("ascii"))
    except (InvalidToken, ValueError):
        return False
    return True


def check_server_key(
    sessions: sessionmaker[Session], server_key: bytes, *, sealer: Sealer | None = None
) -> KeyCheck:
    """Compare ``server_key`` with the stored fingerprint, storing it if there is none yet.

    ``sealer`` (built on ``server_key``) opens envelope-sealed secrets for the check.
    """
    mine = key_fingerprint(server_key)
    with sessions() as session:
        stored = session.scalar(select(ServerKeyCheck.fingerprint).where(ServerKeyCheck.name == _NAME))
        if stored is None:
            # A database from before fingerprints: a key that cannot open the API-key secrets
            # already sealed there is not the server's, and must not be recorded as if it were.
            sealed = session.scalar(select(ApiKey.secret_sealed).limit(1))
            if sealed is not None and not _opens(server_key, sealed, sealer):
                return KeyCheck.DIFFERS
            session.add(ServerKeyCheck(name=_NAME, fingerprint=mine))
            try:
                session.commit()
                return KeyCheck.RECORDED
            except IntegrityError:  # another process recorded its key first
                session.rollback()
                stored = session.scalar(
                    select(ServerKeyCheck.fingerprint).where(ServerKeyCheck.name == _NAME)
                )
    return KeyCheck.MATCHES if stored is not None and hmac.compare_digest(stored, mine) else KeyCheck.DIFFERS
