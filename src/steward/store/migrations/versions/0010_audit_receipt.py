"""The provenance receipt of an answer, kept with the audit record of the decision it covers.

Revision ID: 0010_audit_receipt
Revises: 0009_review_suggestions
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_audit_receipt"
down_revision = "0009_review_suggestions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_records") as batch:
        batch.add_column(sa.Column("receipt", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_records") as batch:
        batch.drop_column("receipt")
