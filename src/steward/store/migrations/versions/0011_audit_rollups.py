"""Hourly rollups of the audit trail, so reports over whole hours need not read every record.

Revision ID: 0011_audit_rollups
Revises: 0010_audit_receipt
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_audit_rollups"
down_revision = "0010_audit_receipt"
branch_labels = None
depends_on = None

_BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _group() -> list[sa.Column[object]]:
    return [
        sa.Column("id", _BigId, autoincrement=True, nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("guardrail_id", sa.String(64), nullable=True),
        sa.Column("version", sa.String(64), nullable=True),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("caller_key_id", sa.String(64), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "audit_rollups",
        *_group(),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("interventions", sa.Integer(), nullable=False),
        sa.Column("blocks", sa.Integer(), nullable=False),
        sa.Column("latency", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_rollups")),
    )
    op.create_index("ix_audit_rollups_hour", "audit_rollups", ["hour"])
    op.create_table(
        "audit_finding_rollups",
        *_group(),
        sa.Column("policy", sa.String(64), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_finding_rollups")),
    )
    op.create_index("ix_audit_finding_rollups_hour", "audit_finding_rollups", ["hour"])
    op.create_table(
        "audit_rollup_hours",
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("rolled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("hour", name=op.f("pk_audit_rollup_hours")),
    )


def downgrade() -> None:
    op.drop_table("audit_rollup_hours")
    op.drop_index("ix_audit_finding_rollups_hour", table_name="audit_finding_rollups")
    op.drop_table("audit_finding_rollups")
    op.drop_index("ix_audit_rollups_hour", table_name="audit_rollups")
    op.drop_table("audit_rollups")
