"""The table of console sign-in sessions, shared by every server process.

Kept in the database (not in one process's memory) so a browser signed in on one worker is
signed in on all of them, and a sign-out or a revoked key ends the session everywhere. Only
a SHA-256 digest of the cookie's token is stored: a copy of this table opens no session.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from steward.store.base import Base
from steward.store.models.core import IDENT_MAX, utcnow

__all__ = ["ConsoleSessionRow"]


class ConsoleSessionRow(Base):
    """One signed-in browser: whose key, its role, its CSRF token, when it ends or was ended."""

    __tablename__ = "console_sessions"
    __table_args__ = (
        Index("ix_console_sessions_key_id", "key_id"),
        Index("ix_console_sessions_expires_at", "expires_at"),
    )

    #: SHA-256 of the cookie's token, hex.
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    key_id: Mapped[str] = mapped_column(String(IDENT_MAX))
    role: Mapped[str] = mapped_column(String(16))
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
