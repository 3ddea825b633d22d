from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from laneway.models.base import Base, BigId, UTCDateTime


class EmailBatch(Base):
    """When the last batch of notification emails to an account started. A mailer claims an
    account's next batch by moving this forward with a conditional upsert (only once the
    window has passed), so however many processes send, each account gets one message per
    window (mail/repository.py)."""

    __tablename__ = "email_batches"

    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
