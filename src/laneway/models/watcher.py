from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from laneway.models.base import Base, BigId, UTCDateTime, utcnow


class Watcher(Base):
    """Someone told about a task's comments and status changes. The reporter, the assignee,
    commenters and the mentioned start watching (added by the notifier from the events);
    anyone who can see the task may watch or stop."""

    __tablename__ = "task_watchers"

    task_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
