"""Notification emails: when the instance first sent them (the start of the backlog each
person's next email summarises once). An instance that has sent emails already starts from
its first batch, so an upgrade turns nothing waiting into backlog.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from laneway.models.base import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "email_start",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_start")),
    )
    op.execute(
        "INSERT INTO email_start (id, started_at) "
        "SELECT 1, MIN(started_at) FROM email_batches HAVING COUNT(*) > 0"
    )


def downgrade() -> None:
    op.drop_table("email_start")
