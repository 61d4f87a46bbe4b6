"""Hourly rollups gain what drift compares and rows summed over the application keys.

The rollups written before this revision lack both, so they are dropped (with their hour
marks): reports read the records until the server's scheduler, or ``steward monitor rollup``,
has rolled the hours up again.

Revision ID: 0012_rollup_drift
Revises: 0011_audit_rollups
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_rollup_drift"
down_revision = "0011_audit_rollups"
branch_labels = None
depends_on = None


def _forget_rollups() -> None:
    for table in ("audit_rollup_hours", "audit_finding_rollups", "audit_rollups"):
        op.execute(sa.table(table).delete())


def upgrade() -> None:
    _forget_rollups()
    with op.batch_alter_table("audit_rollups") as batch:
        batch.add_column(sa.Column("all_callers", sa.Boolean(), nullable=False))
        batch.add_column(sa.Column("drift", sa.JSON(), nullable=False))
        batch.create_index("ix_audit_rollups_all_hour", ["all_callers", "hour"])
    with op.batch_alter_table("audit_finding_rollups") as batch:
        batch.add_column(sa.Column("all_callers", sa.Boolean(), nullable=False))
        batch.create_index("ix_audit_finding_rollups_all_hour", ["all_callers", "hour"])


def downgrade() -> None:
    _forget_rollups()
    with op.batch_alter_table("audit_finding_rollups") as batch:
        batch.drop_index("ix_audit_finding_rollups_all_hour")
        batch.drop_column("all_callers")
    with op.batch_alter_table("audit_rollups") as batch:
        batch.drop_index("ix_audit_rollups_all_hour")
        batch.drop_column("drift")
        batch.drop_column("all_callers")
