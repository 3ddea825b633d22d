from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from laneway.models.base import Base, UTCDateTime, utcnow


class InstanceSecret(Base):
    """Random keys made on first start and shared by every replica (cursor and other signing),
    so no installation signs with a value anyone else knows."""

    __tablename__ = "instance_secrets"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
