"""Tables of human review and end-user voice: review items, their history, feedback, appeals.

Text a person reads (the reviewed text, comments, explanations, free-text feedback, appeal
reasons) is stored sealed with the server key (:class:`~steward.store.sealing.Sealer`), so
the database alone never reveals it; end users appear only as a keyed hash of their id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from steward.store.base import Base
from steward.store.models.core import IDENT_MAX, utcnow

__all__ = ["Appeal", "Feedback", "ReviewAction", "ReviewItem", "ReviewSuggestion"]

#: Item, appeal and feedback ids: 32 hex characters.
ID_LEN = 32


class ReviewItem(Base):
    """One decision waiting for, or resolved by, a person.

    ``state`` moves open → claimed → resolved or escalated; a claim is one conditional
    UPDATE (``WHERE state = 'open'``), so two reviewers never hold the same item. With
    ``four_eyes`` the first verdict is kept in ``first_*`` and the item reopens for a
    second, different key.
    """

    __tablename__ = "review_items"
    __table_args__ = (
        Index("ix_review_items_state_due", "state", "due_at"),
        Index("ix_review_items_request_id", "request_id"),
        Index("ix_review_items_caller_created", "caller_key_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(IDENT_MAX))
    #: The API key whose request (or appeal, or hand-off) opened the item: reports per application key.
    caller_key_id: Mapped[str | None] = mapped_column(String(IDENT_MAX), nullable=True)
    guardrail_id: Mapped[str | None] = mapped_column(String(IDENT_MAX), nullable=True)
    version: Mapped[str | None] = mapped_column(String(IDENT_MAX), nullable=True)
    source: Mapped[str] = mapped_column(String(8))
    policy_name: Mapped[str] = mapped_column(String(64), default="")
    #: The guard's answer at the time: NONE or GUARDRAIL_INTERVENED, and whether it blocked.
    action: Mapped[str] = mapped_column(String(32))
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), default="open")
    text_sealed: Mapped[str | None] = mapped_column(Text, nullable=True)
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    assignee: Mapped[str | None] = mapped_column(String(IDENT_MAX), nullable=True)
    four_eyes: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Set once the item has been escalated: the verdict of the admin who takes it is final.
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    first_reviewer: Mapped[str | None] = mapped_column(String(IDENT_MAX), nullable=True)
    first_outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    first_label: Mapped[int | None] = mapped_column(Integer, nullable=True)
    first_category: Mapped[str | None] = mapped_column(String(64), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    label: Mapped[int | None] = mapped_column(Integer, nullable=True)
    category: Mapped[str | None] = mapped_column(String(64), nullable=True)
    explanation_sealed: Mapped[str | None] = mapped_column(Text, nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(IDENT_MAX), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ReviewAction(Base):
    """One thing done to a review item, by which key, when: the item's audited history."""

    __tablename__ = "review_actions"
    __table_args__ = (Index("ix_review_actions_item", "item_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[str] = mapped_column(String(ID_LEN), ForeignKey("review_items.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(IDENT_MAX))
    action: Mapped[str] = mapped_column(String(16))
    #: Non-text details (outcome, label, category, states); a comment is sealed in ``note_sealed``.
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    note_sealed: Mapped[str | None] = mapped_column(Text, nullable=True)


class Appeal(Base):
    """An end user contesting a decision; it opens a review item of reason ``appeal``."""

    __tablename__ = "appeals"
    __table_args__ = (Index("ix_appeals_request_id", "request_id"),)

    id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(IDENT_MAX))
    item_id: Mapped[str] = mapped_column(String(ID_LEN), ForeignKey("review_items.id", ondelete="CASCADE"))
    user_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reason_sealed: Mapped[str] = mapped_column(Text)
    caller_key_id: Mapped[str] = mapped_column(String(IDENT_MAX))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Feedback(Base):
    """An end user's rating of one answer, with an optional category and free text."""

    __tablename__ = "feedback"
    __table_args__ = (Index("ix_feedback_created_at", "created_at"),)

    id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(IDENT_MAX))
    rating: Mapped[int] = mapped_column(Integer)
    category: Mapped[str | None] = mapped_column(String(64), nullable=True)
    text_sealed: Mapped[str | None] = mapped_column(Text, nullable=True)
    user_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    caller_key_id: Mapped[str] = mapped_column(String(IDENT_MAX))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ReviewSuggestion(Base):
    """A policy change proposed from overturned review items, waiting for an admin's decision.

    ``kind`` says what it would change (``remove_word``: a word that blocked benign text;
    ``add_topic_example``: a missed text as an example of a denied topic; ``add_topic_exception``:
    a wrongly blocked text as an exception of the topic that fired), ``target`` where (the
    topic's name, or ``word_filters.words``). The value is sealed (an example is an end user's
    text); ``value_hash`` lets a repeated overturn join the same suggestion. Nothing changes a
    policy until an admin accepts; accepting edits the guardrail's DRAFT (``draft_revision``).
    """

    __tablename__ = "review_suggestions"
    __table_args__ = (
        UniqueConstraint("guardrail_id", "kind", "target", "value_hash", name="uq_review_suggestions_value"),
        Index("ix_review_suggestions_state", "state", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    guardrail_id: Mapped[str] = mapped_column(String(IDENT_MAX))
    kind: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(128))
    value_hash: Mapped[str] = mapped_column(String(64))
    value_sealed: Mapped[str] = mapped_column(Text)
    item_ids: Mapped[list[str]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(IDENT_MAX), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    draft_revision: Mapped[int | None] = mapped_column(Integer, nullable=True)
