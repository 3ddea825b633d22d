from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from laneway.models.base import Base, BigId, UTCDateTime, utcnow


class Role(StrEnum):
    viewer = "viewer"
    member = "member"
    admin = "admin"
    owner = "owner"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


_RANKS = {Role.viewer: 0, Role.member: 1, Role.admin: 2, Role.owner: 3}


class NotifyLevel(StrEnum):
    """What a member of a project is told about (notifications/rules.py)."""

    all = "all"  # every comment and status change in the project
    participating = "participating"  # tasks they watch, and when assigned or mentioned
    none = "none"


class Membership(Base):
    __tablename__ = "memberships"

    project_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=16, validate_strings=True)
    )
    notify_level: Mapped[NotifyLevel] = mapped_column(
        Enum(NotifyLevel, native_enum=False, length=16, validate_strings=True),
        default=NotifyLevel.participating,
        server_default=NotifyLevel.participating.value,
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
