from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from laneway.models.base import Base, BigId, UTCDateTime, utcnow


class StatusCategory(StrEnum):
    unstarted = "unstarted"
    started = "started"
    review = "review"
    blocked = "blocked"
    done = "done"


class Status(Base):
    __tablename__ = "statuses"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(BigId, ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(60))
    category: Mapped[StatusCategory] = mapped_column(
        Enum(StatusCategory, native_enum=False, length=16, validate_strings=True)
    )
    position: Mapped[int] = mapped_column(Integer)
    wip_limit: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
