"""Review items keep the calling key (reports per application key); policy suggestions from overturns.

Revision ID: 0009_review_suggestions
Revises: 0008_console_sessions
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_review_suggestions"
down_revision = "0008_console_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("review_items") as batch:
        batch.add_column(sa.Column("caller_key_id", sa.String(64), nullable=True))
    op.create_index("ix_review_items_caller_created", "review_items", ["caller_key_id", "created_at"])
    op.create_table(
        "review_suggestions",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("guardrail_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("target", sa.String(128), nullable=False),
        sa.Column("value_hash", sa.String(64), nullable=False),
        sa.Column("value_sealed", sa.Text(), nullable=False),
        sa.Column("item_ids", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("draft_revision", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_suggestions")),
        sa.UniqueConstraint(
            "guardrail_id", "kind", "target", "value_hash", name=op.f("uq_review_suggestions_value")
        ),
    )
    op.create_index("ix_review_suggestions_state", "review_suggestions", ["state", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_review_suggestions_state", table_name="review_suggestions")
    op.drop_table("review_suggestions")
    op.drop_index("ix_review_items_caller_created", table_name="review_items")
    with op.batch_alter_table("review_items") as batch:
        batch.drop_column("caller_key_id")
