from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from laneway.models.base import Base, BigId


class ProjectCounter(Base):
    """Per-project sequences: task numbers and event sequence numbers.

    Every write in a project increments this row first, so its row lock orders the project's
    writers: numbers are gap-free (a rollback undoes the increment) and events are numbered in
    commit order. Taking it first in every transaction also means no deadlock between writers.
    """

    __tablename__ = "project_counters"

    project_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    task_seq: Mapped[int] = mapped_column(Integer, default=0)
    event_seq: Mapped[int] = mapped_column(BigInteger, default=0)
