"""The table of data keys: the keys that encrypt kept raw text, stored only wrapped.

Envelope encryption (:mod:`steward.store.envelope`): each piece of raw text Steward keeps is
encrypted with AES-GCM under a *data key*; data keys are made per scope (``review``,
``feedback``, ``audit``, ``keys``, optionally ``:<guardrail id>``) and per UTC day, and stored
here encrypted ("wrapped") by a master key that never enters the database. ``master_id``
names the master key that wrapped it, so a rotation can re-wrap row by row while old and
new master keys are both readable. Deleting the wrapped key (crypto-shredding) makes every
ciphertext made with it unreadable, even in backups of the other tables.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from steward.store.base import Base
from steward.store.models.core import utcnow

__all__ = ["DataKey"]

#: Data key ids: 32 hex characters.
DATA_KEY_ID_LEN = 32
#: Longest scope name (a kind, a colon and a guardrail id).
SCOPE_MAX = 100


class DataKey(Base):
    """One data key, wrapped by a master key; ``wrapped`` is empty once shredded."""

    __tablename__ = "data_keys"
    __table_args__ = (
        UniqueConstraint("scope", "day", name="uq_data_keys_scope_day"),
        Index("ix_data_keys_master_id", "master_id"),
    )

    id: Mapped[str] = mapped_column(String(DATA_KEY_ID_LEN), primary_key=True)
    scope: Mapped[str] = mapped_column(String(SCOPE_MAX))
    #: The UTC day (``YYYY-MM-DD``) whose texts this key encrypts.
    day: Mapped[str] = mapped_column(String(10))
    master_id: Mapped[str] = mapped_column(String(32))
    wrapped: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    shredded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
