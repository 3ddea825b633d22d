"""Per-instance secrets, one-use live tickets, invitations and token scopes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from laneway.models.base import BigId, UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "instance_secrets",
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("value", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_instance_secrets")),
    )
    op.create_table(
        "live_tickets",
        sa.Column("ticket_hash", sa.String(64), nullable=False),
        sa.Column("token_id", BigId, nullable=False),
        sa.Column("project_id", BigId, nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["token_id"],
            ["api_tokens.id"],
            name=op.f("fk_live_tickets_token_id_api_tokens"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_live_tickets_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ticket_hash", name=op.f("pk_live_tickets")),
    )
    op.create_index(op.f("ix_live_tickets_token_id"), "live_tickets", ["token_id"])
    op.create_index(op.f("ix_live_tickets_expires_at"), "live_tickets", ["expires_at"])
    op.create_table(
        "invitations",
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("invited_by", BigId, nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invited_by"],
            ["users.id"],
            name=op.f("fk_invitations_invited_by_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_invitations")),
    )
    op.create_index(op.f("ix_invitations_email"), "invitations", ["email"])
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(
            sa.Column(
                "scope",
                sa.Enum("read", "write", name="tokenscope", native_enum=False, length=8),
                nullable=False,
                server_default="write",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("scope")
    op.drop_index(op.f("ix_invitations_email"), table_name="invitations")
    op.drop_table("invitations")
    op.drop_index(op.f("ix_live_tickets_expires_at"), table_name="live_tickets")
    op.drop_index(op.f("ix_live_tickets_token_id"), table_name="live_tickets")
    op.drop_table("live_tickets")
    op.drop_table("instance_secrets")
