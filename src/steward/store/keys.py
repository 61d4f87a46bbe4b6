"""API keys: roles, creation (the secret is shown once), listing, revocation, lookup.

A key is an id (``STW`` + 17 characters, shaped like an AWS access key id so boto3 takes
it unchanged) and a secret (40 url-safe characters). Bearer tokens are ``<id>.<secret>``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import string
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from steward.errors import InputError, NotFoundError
from steward.store.models.core import ApiKey, as_utc, utcnow
from steward.store.paging import after_row
from steward.store.sealing import Sealer

__all__ = ["ApiKeyStore", "KeyInfo", "NewKey", "Role", "hash_secret", "verify_secret"]

_ID_ALPHABET = string.ascii_uppercase + string.digits
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


class Role(StrEnum):
    """What a key may do: admin manages, app applies, reviewer reads decisions, auditor only reads."""

    ADMIN = "admin"
    APP = "app"
    REVIEWER = "reviewer"
    AUDITOR = "auditor"

    @classmethod
    def parse(cls, value: str) -> Role:
        """The role named ``value``; :class:`InputError` listing the roles otherwise."""
        try:
            return cls(value.lower())
        except ValueError:
            raise InputError(
                f"unknown role {value!r}; roles: {', '.join(r.value for r in cls)}", field="role"
            ) from None


def hash_secret(secret: str) -> str:
    """A salted scrypt hash of ``secret`` (slow on purpose: about 50 ms)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode("utf-8"), salt=salt, dklen=32, **_SCRYPT)
    enc = base64.b64encode
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${enc(salt).decode()}${enc(digest).decode()}"


def verify_secret(secret: str, stored: str) -> bool:
    """Whether ``secret`` matches a hash made by :func:`hash_secret` (constant-time compare)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(
            secret.encode("utf-8"), salt=base64.b64decode(salt), dklen=32, n=int(n), r=int(r), p=int(p)
        )
        return hmac.compare_digest(got, base64.b64decode(digest))
    except (ValueError, TypeError):
        return False


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """A key as listings show it (never the secret)."""

    id: str
    role: Role
    name: str
    created_at: datetime
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        """Whether the key still works."""
        return self.revoked_at is None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "id": self.id,
            "role": self.role.value,
            "name": self.name,
            "createdAt": as_utc(self.created_at).isoformat(),
            "revokedAt": as_utc(self.revoked_at).isoformat() if self.revoked_at else None,
        }


@dataclass(frozen=True, slots=True)
class NewKey:
    """A key just created: the only time its secret is available."""

    id: str
    secret: str
    role: Role

    @property
    def bearer(self) -> str:
        """The bearer token form, ``<id>.<secret>``."""
        return f"{self.id}.{self.secret}"

    def to_dict(self) -> dict[str, str]:
        """``{"id", "secret", "role"}``."""
        return {"id": self.id, "secret": self.secret, "role": self.role.value}


@dataclass(frozen=True, slots=True)
class StoredKey:
    """What authentication needs about a key."""

    id: str
    role: Role
    secret_hash: str
    secret_sealed: str
    revoked: bool


def _info(row: ApiKey) -> KeyInfo:
    return KeyInfo(
        id=row.id, role=Role(row.role), name=row.name, created_at=row.created_at, revoked_at=row.revoked_at
    )


class ApiKeyStore:
    """Create, list, revoke and look up API keys."""

    def __init__(self, sessions: sessionmaker[Session], sealer: Sealer) -> None:
        self._sessions = sessions
        self.sealer = sealer

    def create(self, role: Role | str, *, name: str = "") -> NewKey:
        """A new key of ``role``; its secret is returned here and never again."""
        role = role if isinstance(role, Role) else Role.parse(role)
        if len(name) > 100:
            raise InputError(f"is {len(name)} characters, over the limit of 100", field="name")
        key_id = "STW" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(17))
        secret = secrets.token_urlsafe(30)
        row = ApiKey(
            id=key_id,
            role=role.value,
            name=name,
            secret_hash=hash_secret(secret),
            secret_sealed=self.sealer.seal(secret),
            created_at=utcnow(),
        )
        with self._sessions() as session:
            session.add(row)
            session.commit()
        return NewKey(id=key_id, secret=secret, role=role)

    def list_all(self, *, include_revoked: bool = True) -> list[KeyInfo]:
        """Every key, oldest first."""
        with self._sessions() as session:
            query = select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)
            if not include_revoked:
                query = query.where(ApiKey.revoked_at.is_(None))
            return [_info(r) for r in session.scalars(query)]

    def list_page(self, *, after: str | None = None, limit: int = 50) -> tuple[list[KeyInfo], str | None]:
        """Up to ``limit`` keys, oldest first, from after the key ``after`` (the cursor the previous
        page ended with); and the next page's cursor, None on the last page. Keys are never deleted,
        so a cursor stays good; one that names no key is an :class:`InputError`."""
        query = select(ApiKey).order_by(ApiKey.created_at, ApiKey.id).limit(limit + 1)
        with self._sessions() as session:
            if after is not None:
                query = query.where(after_row(session, ApiKey, after, ApiKey.created_at))
            rows = list(session.scalars(query))
        page = [_info(r) for r in rows[:limit]]
        return page, (page[-1].id if len(rows) > limit else None)

    def revoke(self, key_id: str) -> KeyInfo:
        """Revoke a key (idempotent); :class:`NotFoundError` if there is no such key."""
        with self._sessions() as session:
            session.execute(
                update(ApiKey)
                .where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )
            session.commit()
            row = session.get(ApiKey, key_id)
            if row is None:
                raise NotFoundError("API key", key_id)
            session.refresh(row)
            return _info(row)

    def lookup(self, key_id: str) -> StoredKey | None:
        """The stored key with this id, or None."""
        with self._sessions() as session:
            row = session.get(ApiKey, key_id)
            if row is None:
                return None
            return StoredKey(
                id=row.id,
                role=Role(row.role),
                secret_hash=row.secret_hash,
                secret_sealed=row.secret_sealed,
                revoked=row.revoked_at is not None,
            )

    def count_active(self, role: Role | None = None) -> int:
        """How many keys are not revoked (of ``role``, if given)."""
        with self._sessions() as session:
            query = select(ApiKey.id).where(ApiKey.revoked_at.is_(None))
            if role is not None:
                query = query.where(ApiKey.role == role.value)
            return len(list(session.scalars(query)))
