"""Audit tamper evidence: per-writer hash chains over audit records.

Revision ID: 0003_audit_chain
Revises: 0002_governance
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_audit_chain"
down_revision = "0002_governance"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_records") as batch:
        batch.add_column(sa.Column("chain_id", sa.String(32), nullable=True))
        batch.add_column(sa.Column("chain_seq", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("prev_digest", sa.String(64), nullable=True))
        batch.add_column(sa.Column("digest", sa.String(64), nullable=True))
    op.create_index("ix_audit_records_chain", "audit_records", ["chain_id", "chain_seq"])


def downgrade() -> None:
    op.drop_index("ix_audit_records_chain", table_name="audit_records")
    with op.batch_alter_table("audit_records") as batch:
        batch.drop_column("digest")
        batch.drop_column("prev_digest")
        batch.drop_column("chain_seq")
        batch.drop_column("chain_id")
