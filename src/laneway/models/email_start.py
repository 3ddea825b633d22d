from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer
from sqlalchemy.orm import Mapped, mapped_column

from laneway.models.base import Base, UTCDateTime


class EmailStart(Base):
    """When this instance first sent notification emails (its first mailer pass with
    LANEWAY_SMTP_URL set): one row, id 1. Notifications made before it are the backlog that
    each person's next email summarises once instead of listing (mail/digest.py)."""

    __tablename__ = "email_start"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
