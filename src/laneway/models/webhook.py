from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import BigInteger, Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from laneway.models.base import Base, BigId, UTCDateTime, utcnow
from laneway.models.event_types import EventType
from laneway.models.types import Json

WebhookEvent = EventType | Literal["*"]
"""What a webhook subscribes to: an event type, or "*" for every one."""


class Webhook(Base):
    """A project's outbound endpoint. Deliveries are made from the event log: `cursor_seq` is
    the last event already turned into deliveries, moved in the same transaction that adds
    them, so each committed event becomes exactly one delivery per subscribed webhook."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[WebhookEvent]] = mapped_column(Json, default=list)
    # whsec_ + base64; a rotated-out secret still signs until `previous_secret_until`
    secret: Mapped[str] = mapped_column(String(100))
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_secret_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(200))
    cursor_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    # who answers for it (auth/ownership.py): its creator, then whoever last chose its URL
    # or turned it on; the column keeps its first name
    owner_id: Mapped[int | None] = mapped_column(
        "created_by", BigId, ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
