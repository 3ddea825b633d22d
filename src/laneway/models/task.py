from __future__ import annotations

from datetime import date, datetime
from enum import IntEnum

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from laneway.models.base import Base, BigId, UTCDateTime, utcnow
from laneway.models.types import IdList, RankString


class Priority(IntEnum):
    none = 0
    low = 1
    medium = 2
    high = 3
    urgent = 4


_LIVE = "archived_at IS NULL"


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        UniqueConstraint("project_id", "number"),
        # the board: each column's first page in rank order, straight from the index; and
        # where a create or a move puts a task (tasks/repository.py nearest_rank)
        Index(
            "ix_tasks_board",
            "project_id",
            "status_id",
            "rank",
            "id",
            postgresql_where=_LIVE,
            sqlite_where=_LIVE,
        ),
        Index("ix_tasks_project_assignee", "project_id", "assignee_id"),
        Index("ix_tasks_project_reporter", "project_id", "reporter_id"),
        Index("ix_tasks_project_priority", "project_id", "priority", "id"),
        Index("ix_tasks_project_due", "project_id", "due_date", "id"),
        Index("ix_tasks_project_created", "project_id", "created_at", "id"),
        Index("ix_tasks_project_updated", "project_id", "updated_at", "id"),
        Index("ix_tasks_parent", "parent_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(BigId, ForeignKey("projects.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    status_id: Mapped[int] = mapped_column(BigId, ForeignKey("statuses.id"))
    assignee_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    reporter_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    priority: Mapped[int] = mapped_column(SmallInteger, default=Priority.none)
    label_ids: Mapped[list[int]] = mapped_column(IdList, default=list)
    due_date: Mapped[date | None] = mapped_column(Date)
    estimate: Mapped[int | None] = mapped_column(Integer)
    parent_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("tasks.id"))
    rank: Mapped[str] = mapped_column(RankString)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
