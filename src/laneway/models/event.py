from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from laneway.models.base import Base, BigId, UTCDateTime, utcnow
from laneway.models.event_payloads import EventChanges, EventSnapshot
from laneway.models.event_types import EventType
from laneway.models.types import Json


class Event(Base):
    """The project's history, appended in the same transaction as each change.

    `seq` is contiguous per project and in commit order (see ProjectCounter); live updates and
    webhooks read from here, so nothing committed can be missed.
    """

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("project_id", "seq"),
        Index("ix_events_task", "task_id", "seq"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(BigId, ForeignKey("projects.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(BigInteger)
    type: Mapped[EventType] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    subject_id: Mapped[int] = mapped_column(BigId)
    # no foreign key: the history of a deleted task outlives the task
    task_id: Mapped[int | None] = mapped_column(BigId)
    changes: Mapped[EventChanges] = mapped_column(Json, default=dict)
    snapshot: Mapped[EventSnapshot | None] = mapped_column(Json)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
