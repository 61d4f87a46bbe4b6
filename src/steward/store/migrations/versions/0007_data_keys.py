"""Protection of kept data: wrapped data keys (envelope encryption) and audit checkpoints (retention).

Revision ID: 0007_data_keys
Revises: 0006_review
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_data_keys"
down_revision = "0006_review"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_keys",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("scope", sa.String(100), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("master_id", sa.String(32), nullable=False),
        sa.Column("wrapped", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("shredded_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_keys")),
        sa.UniqueConstraint("scope", "day", name="uq_data_keys_scope_day"),
    )
    op.create_index("ix_data_keys_master_id", "data_keys", ["master_id"])
    op.create_table(
        "audit_checkpoints",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("chain_id", sa.String(32), nullable=False),
        sa.Column("seq_from", sa.Integer(), nullable=False),
        sa.Column("seq_to", sa.Integer(), nullable=False),
        sa.Column("last_digest", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("pruned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("mac", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoints")),
    )
    op.create_index("ix_audit_checkpoints_chain", "audit_checkpoints", ["chain_id", "seq_from"])


def downgrade() -> None:
    op.drop_index("ix_audit_checkpoints_chain", table_name="audit_checkpoints")
    op.drop_table("audit_checkpoints")
    op.drop_index("ix_data_keys_master_id", table_name="data_keys")
    op.drop_table("data_keys")
