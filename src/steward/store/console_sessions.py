"""Console sign-in sessions: an API key exchanged once for a random token kept in a cookie.

Why in the database and hashed: every server worker sees the same sessions (a browser
signed in on one worker is signed in on all, and a sign-out ends it on all); a session can
be ended for real (sign-out, revoking the key) rather than waiting for a signed cookie to
expire; and a dump of the table never holds a usable cookie — only SHA-256 digests of
tokens are kept. Each session carries its own CSRF token, which every console form echoes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from steward.store.keys import Role
from steward.store.models.console import ConsoleSessionRow
from steward.store.models.core import as_utc, utcnow

__all__ = ["DEFAULT_TTL_S", "MAX_SESSIONS_PER_KEY", "ConsoleSession", "SessionStore", "token_digest"]

#: How long a session lasts after sign-in (8 hours: a working day).
DEFAULT_TTL_S = 8 * 3600.0
#: Most live sessions one API key may hold; signing in beyond it ends that key's oldest.
MAX_SESSIONS_PER_KEY = 50
#: Longest token accepted from a cookie (ours are 43 characters).
_MAX_TOKEN_CHARS = 128


def token_digest(token: str) -> str:
    """The SHA-256 hex digest under which a token's session is stored."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    """One signed-in browser: whose key, its role, its CSRF token and when it ends."""

    key_id: str
    role: Role
    csrf: str
    expires_at: datetime

    def csrf_ok(self, presented: str | None) -> bool:
        """Whether a form's CSRF token is this session's (constant-time compare)."""
        return presented is not None and hmac.compare_digest(presented.encode(), self.csrf.encode())


class SessionStore:
    """Sessions by token digest in the ``console_sessions`` table, with expiry and revocation."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        ttl_s: float = DEFAULT_TTL_S,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._ttl = timedelta(seconds=ttl_s)
        self._clock = clock

    @property
    def ttl_s(self) -> float:
        """How long a new session lasts, in seconds."""
        return self._ttl.total_seconds()

    def create(self, key_id: str, role: Role) -> str:
        """Start a session for ``key_id``; returns the token (shown to the browser only).

        Expired sessions are deleted here (sign-in is rare, so the table stays small without
        a scheduler), and a key over :data:`MAX_SESSIONS_PER_KEY` live sessions loses its oldest.
        """
        token = secrets.token_urlsafe(32)
        now = self._clock()
        with self._sessions.begin() as db:
            db.execute(delete(ConsoleSessionRow).where(ConsoleSessionRow.expires_at <= now))
            live = db.scalars(
                select(ConsoleSessionRow.digest)
                .where(ConsoleSessionRow.key_id == key_id, ConsoleSessionRow.revoked_at.is_(None))
                .order_by(ConsoleSessionRow.created_at.desc())
                .offset(MAX_SESSIONS_PER_KEY - 1)
            ).all()
            if live:
                db.execute(
                    update(ConsoleSessionRow).where(ConsoleSessionRow.digest.in_(live)).values(revoked_at=now)
                )
            db.add(
                ConsoleSessionRow(
                    digest=token_digest(token),
                    key_id=key_id,
                    role=role.value,
                    csrf=secrets.token_urlsafe(32),
                    created_at=now,
                    expires_at=now + self._ttl,
                )
            )
        return token

    def get(self, token: str | None) -> ConsoleSession | None:
        """The live session of ``token``; None when unknown, expired or revoked."""
        if not token or len(token) > _MAX_TOKEN_CHARS:
            return None
        with self._sessions() as db:
            row = db.get(ConsoleSessionRow, token_digest(token))
            if row is None or row.revoked_at is not None or as_utc(row.expires_at) <= self._clock():
                return None
            return ConsoleSession(row.key_id, Role(row.role), row.csrf, as_utc(row.expires_at))

    def revoke(self, token: str | None) -> bool:
        """End the session of ``token`` (sign-out) on every worker; whether a live one was ended."""
        if not token or len(token) > _MAX_TOKEN_CHARS:
            return False
        with self._sessions.begin() as db:
            done = db.execute(
                update(ConsoleSessionRow)
                .where(
                    ConsoleSessionRow.digest == token_digest(token), ConsoleSessionRow.revoked_at.is_(None)
                )
                .values(revoked_at=self._clock())
            )
        return bool(getattr(done, "rowcount", 0))

    def revoke_key(self, key_id: str) -> int:
        """End every live session opened with ``key_id`` (the key was revoked); how many."""
        with self._sessions.begin() as db:
            done = db.execute(
                update(ConsoleSessionRow)
                .where(ConsoleSessionRow.key_id == key_id, ConsoleSessionRow.revoked_at.is_(None))
                .values(revoked_at=self._clock())
            )
        return int(getattr(done, "rowcount", 0))
