from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from sqlalchemy import BigInteger, Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from laneway.models.base import Base, BigId, UTCDateTime, utcnow
from laneway.models.event_types import EventType


class DeliveryState(StrEnum):
    pending = "pending"  # waiting for its next attempt (or for earlier ones of its webhook)
    sending = "sending"  # claimed by a worker until `lease_until`; a dead worker's expires
    delivered = "delivered"
    failed = "failed"  # gave up after the last scheduled retry, or the endpoint went away


class WebhookDelivery(Base):
    """One message to one webhook, with its exact signed body, and its last attempt's outcome.
    The table is the job queue too: a worker claims due rows, so nothing lives only in memory."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_queue", "state", "next_attempt_at"),
        Index("ix_webhook_deliveries_webhook", "webhook_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    webhook_id: Mapped[int] = mapped_column(BigId, ForeignKey("webhooks.id", ondelete="CASCADE"))
    # the webhook-id header: the same on every retry and redelivery, for receivers to dedupe
    message_id: Mapped[str] = mapped_column(String(64))
    event_seq: Mapped[int | None] = mapped_column(BigInteger)  # None: a ping
    event_type: Mapped[EventType | Literal["webhook.ping"]] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[DeliveryState] = mapped_column(
        Enum(DeliveryState, native_enum=False, length=10, validate_strings=True),
        default=DeliveryState.pending,
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_latency_ms: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(300))
    response_snippet: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
