from __future__ import annotations

from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from laneway.models.base import Base, BigId


class StatusCount(Base):
    """Live tasks per status, maintained by database triggers on `tasks` (see migration 0002):
    exact in the same statement as every insert, move, archive and delete, whatever path made it.
    """

    __tablename__ = "status_counts"

    project_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    status_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("statuses.id", ondelete="CASCADE"), primary_key=True
    )
    count: Mapped[int] = mapped_column(Integer, default=0)
