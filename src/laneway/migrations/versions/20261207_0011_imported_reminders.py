"""The day an import made a project: due dates that had come by then count as reminded.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("notification_cursors", sa.Column("imported_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notification_cursors") as batch:
        batch.drop_column("imported_on")
