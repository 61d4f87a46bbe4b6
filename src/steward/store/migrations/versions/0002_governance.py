"""Governance register: systems, datasets, risks, evidence and release-gate decisions.

Revision ID: 0002_governance
Revises: 0001_core
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_governance"
down_revision = "0001_core"
branch_labels = None
depends_on = None

_BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "gov_systems",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("version", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("doc", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gov_systems")),
    )
    op.create_table(
        "gov_datasets",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("version", sa.String(200), nullable=False),
        sa.Column("doc", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gov_datasets")),
    )
    op.create_table(
        "gov_risks",
        sa.Column("system_id", sa.String(64), nullable=False),
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("doc", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["system_id"], ["gov_systems.id"], name=op.f("fk_gov_risks_system_id_gov_systems")
        ),
        sa.PrimaryKeyConstraint("system_id", "id", name=op.f("pk_gov_risks")),
    )
    op.create_table(
        "gov_evidence",
        sa.Column("id", sa.String(16), nullable=False),
        sa.Column("system_id", sa.String(64), nullable=False),
        sa.Column("system_version", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("doc", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["system_id"], ["gov_systems.id"], name=op.f("fk_gov_evidence_system_id_gov_systems")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gov_evidence")),
    )
    op.create_index("ix_gov_evidence_system_recorded", "gov_evidence", ["system_id", "recorded_at"])
    op.create_table(
        "gov_decisions",
        sa.Column("id", _BigId, autoincrement=True, nullable=False),
        sa.Column("system_id", sa.String(64), nullable=False),
        sa.Column("system_version", sa.String(200), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=False),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("doc", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["system_id"], ["gov_systems.id"], name=op.f("fk_gov_decisions_system_id_gov_systems")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gov_decisions")),
    )
    op.create_index("ix_gov_decisions_system_decided", "gov_decisions", ["system_id", "decided_at"])


def downgrade() -> None:
    op.drop_index("ix_gov_decisions_system_decided", table_name="gov_decisions")
    op.drop_table("gov_decisions")
    op.drop_index("ix_gov_evidence_system_recorded", table_name="gov_evidence")
    op.drop_table("gov_evidence")
    op.drop_table("gov_risks")
    op.drop_table("gov_datasets")
    op.drop_table("gov_systems")
