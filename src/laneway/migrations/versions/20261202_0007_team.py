"""Working as a team: usernames, per-project notification levels, watchers, notifications.

Existing accounts get a username from their email; existing projects' history is marked as
already notified (an upgrade must not flood every inbox with the past).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

from laneway.models.base import BigId, UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _username(email: str, taken: set[str]) -> str:
    # frozen here: auth/usernames.py may change its rule for new accounts
    local = email.split("@", 1)[0].lower()
    name = re.sub(r"[^a-z0-9._-]+", "", local).lstrip("._-")[:40].rstrip("._-") or "user"
    stem, n = name[:36], 2
    while name in taken:
        name, n = f"{stem}{n}", n + 1
    taken.add(name)
    return name


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("username", sa.String(40), nullable=True))
    bind = op.get_bind()
    users = sa.table("users", sa.column("id"), sa.column("email"), sa.column("username"))
    taken: set[str] = set()
    for user_id, email in bind.execute(sa.select(users.c.id, users.c.email).order_by(users.c.id)):
        bind.execute(
            users.update().where(users.c.id == user_id).values(username=_username(email, taken))
        )
    with op.batch_alter_table("users") as batch:
        batch.alter_column("username", existing_type=sa.String(40), nullable=False)
        batch.create_unique_constraint(op.f("uq_users_username"), ["username"])

    with op.batch_alter_table("memberships") as batch:
        batch.add_column(
            sa.Column(
                "notify_level",
                sa.Enum(
                    "all",
                    "participating",
                    "none",
                    name="notifylevel",
                    native_enum=False,
                    length=16,
                ),
                nullable=False,
                server_default="participating",
            )
        )

    op.create_table(
        "task_watchers",
        sa.Column("task_id", BigId, nullable=False),
        sa.Column("user_id", BigId, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_task_watchers_task_id_tasks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_task_watchers_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("task_id", "user_id", name=op.f("pk_task_watchers")),
    )  # fmt: skip
    op.create_index(op.f("ix_task_watchers_user_id"), "task_watchers", ["user_id"])

    kinds = ("assigned", "mentioned", "commented", "status", "due_soon", "overdue")
    op.create_table(
        "notifications",
        sa.Column("id", BigId, nullable=False),
        sa.Column("user_id", BigId, nullable=False),
        sa.Column("project_id", BigId, nullable=False),
        sa.Column("task_id", BigId, nullable=True),
        sa.Column(
            "kind",
            sa.Enum(*kinds, name="notificationkind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("event_seq", sa.BigInteger(), nullable=True),
        sa.Column("actor_id", BigId, nullable=True),
        sa.Column("excerpt", sa.String(300), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("read_at", UTCDateTime(), nullable=True),
        sa.Column("emailed_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notifications_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_notifications_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_notifications_task_id_tasks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_notifications_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint(
            "user_id", "task_id", "kind", "due_on",
            name=op.f("uq_notifications_user_id_task_id_kind_due_on"),
        ),
    )  # fmt: skip
    op.create_index("ix_notifications_inbox", "notifications", ["user_id", "id"])
    op.create_index("ix_notifications_unread", "notifications", ["user_id", "read_at"])

    op.create_table(
        "notification_cursors",
        sa.Column("project_id", BigId, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"],
            name=op.f("fk_notification_cursors_project_id_projects"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_notification_cursors")),
    )  # fmt: skip
    op.execute(
        "INSERT INTO notification_cursors (project_id, seq) "
        "SELECT project_id, event_seq FROM project_counters"
    )


def downgrade() -> None:
    op.drop_table("notification_cursors")
    op.drop_table("notifications")
    op.drop_table("task_watchers")
    with op.batch_alter_table("memberships") as batch:
        batch.drop_column("notify_level")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f("uq_users_username"), type_="unique")
        batch.drop_column("username")
