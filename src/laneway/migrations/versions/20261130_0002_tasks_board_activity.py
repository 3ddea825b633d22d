"""Statuses, labels, tasks, comments, the event log, counters and idempotency keys.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30

Per-status counts are kept by triggers on `tasks`, and text search by a generated tsvector
(PostgreSQL) or an external-content FTS5 table (SQLite).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from laneway.models.base import BigId, UTCDateTime
from laneway.models.types import IdList, Json

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

LIVE = sa.text("archived_at IS NULL")


def _project_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["project_id"], ["projects.id"], name=f"fk_{table}_project_id_projects", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "project_counters",
        sa.Column("project_id", BigId, nullable=False),
        sa.Column("task_seq", sa.Integer(), nullable=False),
        sa.Column("event_seq", sa.BigInteger(), nullable=False),
        _project_fk("project_counters"),
        sa.PrimaryKeyConstraint("project_id", name="pk_project_counters"),
    )
    op.create_table(
        "statuses",
        sa.Column("id", BigId, nullable=False),
        sa.Column("project_id", BigId, nullable=False),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "unstarted",
                "started",
                "review",
                "blocked",
                "done",
                name="statuscategory",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("wip_limit", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        _project_fk("statuses"),
        sa.PrimaryKeyConstraint("id", name="pk_statuses"),
        sa.UniqueConstraint("project_id", "name", name="uq_statuses_project_id_name"),
    )
    op.create_table(
        "status_counts",
        sa.Column("project_id", BigId, nullable=False),
        sa.Column("status_id", BigId, nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        _project_fk("status_counts"),
        sa.ForeignKeyConstraint(
            ["status_id"],
            ["statuses.id"],
            name="fk_status_counts_status_id_statuses",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", "status_id", name="pk_status_counts"),
    )
    op.create_table(
        "labels",
        sa.Column("id", BigId, nullable=False),
        sa.Column("project_id", BigId, nullable=False),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("color", sa.String(7), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        _project_fk("labels"),
        sa.PrimaryKeyConstraint("id", name="pk_labels"),
        sa.UniqueConstraint("project_id", "name", name="uq_labels_project_id_name"),
    )
    op.create_table(
        "tasks",
        sa.Column("id", BigId, nullable=False),
        sa.Column("project_id", BigId, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status_id", BigId, nullable=False),
        sa.Column("assignee_id", BigId, nullable=True),
        sa.Column("reporter_id", BigId, nullable=False),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.Column("label_ids", IdList(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("estimate", sa.Integer(), nullable=True),
        sa.Column("parent_id", BigId, nullable=True),
        sa.Column(
            "rank",
            sa.String(255).with_variant(sa.String(255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("archived_at", UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        _project_fk("tasks"),
        sa.ForeignKeyConstraint(["assignee_id"], ["users.id"], name="fk_tasks_assignee_id_users"),
        sa.ForeignKeyConstraint(["reporter_id"], ["users.id"], name="fk_tasks_reporter_id_users"),
        sa.ForeignKeyConstraint(["status_id"], ["statuses.id"], name="fk_tasks_status_id_statuses"),
        sa.ForeignKeyConstraint(["parent_id"], ["tasks.id"], name="fk_tasks_parent_id_tasks"),
        sa.PrimaryKeyConstraint("id", name="pk_tasks"),
        sa.UniqueConstraint("project_id", "number", name="uq_tasks_project_id_number"),
    )
    op.create_index(
        "ix_tasks_board",
        "tasks",
        ["project_id", "status_id", "rank", "id"],
        postgresql_where=LIVE,
        sqlite_where=LIVE,
    )
    op.create_index("ix_tasks_project_assignee", "tasks", ["project_id", "assignee_id"])
    op.create_index("ix_tasks_project_reporter", "tasks", ["project_id", "reporter_id"])
    op.create_index("ix_tasks_project_priority", "tasks", ["project_id", "priority", "id"])
    op.create_index("ix_tasks_project_due", "tasks", ["project_id", "due_date", "id"])
    op.create_index("ix_tasks_project_created", "tasks", ["project_id", "created_at", "id"])
    op.create_index("ix_tasks_project_updated", "tasks", ["project_id", "updated_at", "id"])
    op.create_index("ix_tasks_parent", "tasks", ["parent_id"])
    op.create_table(
        "comments",
        sa.Column("id", BigId, nullable=False),
        sa.Column("task_id", BigId, nullable=False),
        sa.Column("project_id", BigId, nullable=False),
        sa.Column("author_id", BigId, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        _project_fk("comments"),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name="fk_comments_task_id_tasks", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name="fk_comments_author_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_comments"),
    )
    op.create_index("ix_comments_task", "comments", ["task_id", "id"])
    op.create_index("ix_comments_project_id", "comments", ["project_id"])
    op.create_table(
        "events",
        sa.Column("id", BigId, nullable=False),
        sa.Column("project_id", BigId, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("actor_id", BigId, nullable=True),
        sa.Column("subject_id", BigId, nullable=False),
        sa.Column("task_id", BigId, nullable=True),
        sa.Column("changes", Json, nullable=False),
        sa.Column("snapshot", Json, nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        _project_fk("events"),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name="fk_events_actor_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
        sa.UniqueConstraint("project_id", "seq", name="uq_events_project_id_seq"),
    )
    op.create_index("ix_events_task", "events", ["task_id", "seq"])
    op.create_table(
        "idempotency_keys",
        sa.Column("user_id", BigId, nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_idempotency_keys_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "key", name="pk_idempotency_keys"),
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])

    if op.get_bind().dialect.name == "postgresql":
        _postgresql_upgrade()
    else:
        _sqlite_upgrade()
    _seed_existing_projects()


def _postgresql_upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION laneway_status_counts() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.archived_at IS NULL THEN
            UPDATE status_counts SET count = count - 1
             WHERE project_id = OLD.project_id AND status_id = OLD.status_id;
          END IF;
          IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.archived_at IS NULL THEN
            INSERT INTO status_counts (project_id, status_id, count)
            VALUES (NEW.project_id, NEW.status_id, 1)
            ON CONFLICT (project_id, status_id) DO UPDATE SET count = status_counts.count + 1;
          END IF;
          RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER tasks_status_counts AFTER INSERT OR DELETE OR UPDATE OF status_id, archived_at"
        " ON tasks FOR EACH ROW EXECUTE FUNCTION laneway_status_counts()"
    )
    op.execute(
        "ALTER TABLE tasks ADD COLUMN search tsvector GENERATED ALWAYS AS ("
        " setweight(to_tsvector('simple', title), 'A') ||"
        " setweight(to_tsvector('simple', description), 'B')) STORED"
    )
    op.execute("CREATE INDEX ix_tasks_search ON tasks USING gin (search)")
    op.execute("CREATE INDEX ix_tasks_labels ON tasks USING gin (label_ids)")


def _sqlite_upgrade() -> None:
    op.execute(
        """
        CREATE TRIGGER tasks_count_insert AFTER INSERT ON tasks WHEN NEW.archived_at IS NULL BEGIN
          INSERT INTO status_counts (project_id, status_id, count)
          VALUES (NEW.project_id, NEW.status_id, 1)
          ON CONFLICT (project_id, status_id) DO UPDATE SET count = count + 1;
        END
        """
    )
    op.execute(
        """
        CREATE TRIGGER tasks_count_delete AFTER DELETE ON tasks WHEN OLD.archived_at IS NULL BEGIN
          UPDATE status_counts SET count = count - 1
           WHERE project_id = OLD.project_id AND status_id = OLD.status_id;
        END
        """
    )
    op.execute(
        """
        CREATE TRIGGER tasks_count_update AFTER UPDATE OF status_id, archived_at ON tasks BEGIN
          UPDATE status_counts SET count = count - 1
           WHERE OLD.archived_at IS NULL AND project_id = OLD.project_id
             AND status_id = OLD.status_id;
          INSERT INTO status_counts (project_id, status_id, count)
          SELECT NEW.project_id, NEW.status_id, 1 WHERE NEW.archived_at IS NULL
          ON CONFLICT (project_id, status_id) DO UPDATE SET count = count + 1;
        END
        """
    )
    op.execute(
        "CREATE VIRTUAL TABLE tasks_fts USING fts5(title, description, content='tasks',"
        " content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
    )
    op.execute(
        "CREATE TRIGGER tasks_fts_insert AFTER INSERT ON tasks BEGIN"
        " INSERT INTO tasks_fts (rowid, title, description)"
        " VALUES (NEW.id, NEW.title, NEW.description); END"
    )
    op.execute(
        "CREATE TRIGGER tasks_fts_delete AFTER DELETE ON tasks BEGIN"
        " INSERT INTO tasks_fts (tasks_fts, rowid, title, description)"
        " VALUES ('delete', OLD.id, OLD.title, OLD.description); END"
    )
    op.execute(
        "CREATE TRIGGER tasks_fts_update AFTER UPDATE OF title, description ON tasks BEGIN"
        " INSERT INTO tasks_fts (tasks_fts, rowid, title, description)"
        " VALUES ('delete', OLD.id, OLD.title, OLD.description);"
        " INSERT INTO tasks_fts (rowid, title, description)"
        " VALUES (NEW.id, NEW.title, NEW.description); END"
    )


def _seed_existing_projects() -> None:
    op.execute(
        "INSERT INTO project_counters (project_id, task_seq, event_seq) SELECT id, 0, 0 FROM projects"
    )
    op.execute(
        "INSERT INTO statuses (project_id, name, category, position, created_at)"
        " SELECT p.id, d.name, d.category, d.position, p.created_at FROM projects p CROSS JOIN ("
        " SELECT 'Todo' AS name, 'unstarted' AS category, 0 AS position"
        " UNION ALL SELECT 'In Progress', 'started', 1"
        " UNION ALL SELECT 'In Review', 'review', 2"
        " UNION ALL SELECT 'Issue', 'blocked', 3"
        " UNION ALL SELECT 'Done', 'done', 4) d"
    )
    op.execute(
        "INSERT INTO status_counts (project_id, status_id, count) SELECT project_id, id, 0 FROM statuses"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER tasks_status_counts ON tasks")
        op.execute("DROP FUNCTION laneway_status_counts()")
    else:
        for trigger in (
            "tasks_count_insert",
            "tasks_count_delete",
            "tasks_count_update",
            "tasks_fts_insert",
            "tasks_fts_delete",
            "tasks_fts_update",
        ):
            op.execute(f"DROP TRIGGER {trigger}")
        op.execute("DROP TABLE tasks_fts")
    op.drop_table("idempotency_keys")
    op.drop_table("events")
    op.drop_table("comments")
    op.drop_table("tasks")
    op.drop_table("labels")
    op.drop_table("status_counts")
    op.drop_table("statuses")
    op.drop_table("project_counters")
