"""Exports and imports run as jobs: the transfers table (also their queue) and their files.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from laneway.models.base import BigId, UTCDateTime
from laneway.models.types import Json

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    kinds = ("export_json", "export_csv", "import_json", "import_trello", "import_csv")
    states = ("queued", "running", "done", "failed")
    op.create_table(
        "transfers",
        sa.Column("id", BigId, nullable=False),
        sa.Column(
            "kind",
            sa.Enum(*kinds, name="transferkind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column(
            "state",
            sa.Enum(*states, name="transferstate", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("user_id", BigId, nullable=False),
        sa.Column("project_id", BigId, nullable=True),
        sa.Column("options", Json, nullable=False),
        sa.Column("done_rows", sa.Integer(), nullable=False),
        sa.Column("total_rows", sa.Integer(), nullable=False),
        sa.Column("result", Json, nullable=True),
        sa.Column("error", sa.String(1000), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("claim", sa.String(32), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_transfers_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_transfers_project_id_projects"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfers")),
    )
    op.create_index("ix_transfers_queue", "transfers", ["state", "next_attempt_at"])
    op.create_index("ix_transfers_user", "transfers", ["user_id", "id"])
    op.create_index(op.f("ix_transfers_created_at"), "transfers", ["created_at"])
    op.create_table(
        "transfer_files",
        sa.Column("transfer_id", BigId, nullable=False),
        sa.Column("role", sa.String(6), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("media_type", sa.String(60), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["transfer_id"],
            ["transfers.id"],
            name=op.f("fk_transfer_files_transfer_id_transfers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("transfer_id", "role", name=op.f("pk_transfer_files")),
    )


def downgrade() -> None:
    op.drop_table("transfer_files")
    op.drop_table("transfers")
