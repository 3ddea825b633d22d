from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Date, Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from laneway.models.base import Base, BigId, UTCDateTime, utcnow


class NotificationKind(StrEnum):
    assigned = "assigned"
    mentioned = "mentioned"
    commented = "commented"  # on a task you watch
    status = "status"  # a task you watch moved to another status
    due_soon = "due_soon"  # assigned to you, due tomorrow
    overdue = "overdue"  # assigned to you, past its due date


class Notification(Base):
    """One line of a user's inbox, made from a committed event (or, for due dates, by the
    daily check), never by the request that made the change."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_inbox", "user_id", "id"),
        Index("ix_notifications_unread", "user_id", "read_at"),
        # the mailer looks only at recent ones (mail/repository.py)
        Index("ix_notifications_created_at", "created_at"),
        # one reminder per task, kind and due date (NULLs, in every other kind, never clash)
        UniqueConstraint("user_id", "task_id", "kind", "due_on"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"))
    project_id: Mapped[int] = mapped_column(BigId, ForeignKey("projects.id", ondelete="CASCADE"))
    task_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("tasks.id", ondelete="CASCADE"))
    kind: Mapped[NotificationKind] = mapped_column(
        Enum(NotificationKind, native_enum=False, length=16, validate_strings=True)
    )
    event_seq: Mapped[int | None] = mapped_column(BigInteger)  # what it came from
    actor_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))
    excerpt: Mapped[str] = mapped_column(String(300), default="")  # a comment's first words
    due_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NotificationCursor(Base):
    """The last event of a project already turned into notifications, moved in the same
    transaction that adds them (as a webhook's cursor): each event notifies exactly once."""

    __tablename__ = "notification_cursors"

    project_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    # an imported project's import day: its past counts as notified, due dates included (a
    # task already overdue, or due tomorrow, that day is not reminded of)
    imported_on: Mapped[date | None] = mapped_column(Date)
