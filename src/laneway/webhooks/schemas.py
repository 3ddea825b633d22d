from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints

from laneway.kit.schemas import Id, RequestModel, ResponseModel, Text
from laneway.models import DeliveryState
from laneway.models.event_types import EventType
from laneway.models.webhook import WebhookEvent

Url = Annotated[
    Text,
    StringConstraints(min_length=8, max_length=2000, pattern=r"^(?i:https?)://[^\s]+$"),
]


def _distinct(events: list[WebhookEvent]) -> list[WebhookEvent]:
    if "*" in events and len(events) > 1:
        raise ValueError('"*" already means every event type')
    return list(dict.fromkeys(events))


Subscribed = Annotated[
    list[WebhookEvent],
    Field(min_length=1, max_length=50, description='Event types, or ["*"] for all.'),
    AfterValidator(_distinct),
]


class WebhookCreateIn(RequestModel):
    url: Url = Field(description="http or https; it must resolve to a public address.")
    events: Subscribed


class WebhookUpdateIn(RequestModel):
    url: Url | None = None
    events: Subscribed | None = None
    active: bool | None = Field(
        default=None, description="Re-enabling resumes where it stopped: no event is skipped."
    )
    rotate_secret: bool = Field(
        default=False,
        description="A new secret, shown once; the old one still signs for 24 hours.",
    )


class WebhookOut(ResponseModel):
    id: int
    project_id: int
    url: str
    events: list[WebhookEvent]
    active: bool
    disabled_reason: str | None = Field(
        description="Why it stopped: turned off, the endpoint is gone, or its owner lost access."
    )
    owner_id: int | None = Field(
        description="The admin it delivers for: it stops when they are no longer one."
    )
    created_at: datetime


class WebhookWithSecret(WebhookOut):
    secret: str = Field(description="`whsec_` + base64: shown this once; verify signatures.")


class DeliveryOut(ResponseModel):
    id: int
    message_id: str = Field(description="The webhook-id header; the same on every attempt.")
    event_seq: int | None = Field(description="The event's number; none for a ping.")
    event_type: EventType | Literal["webhook.ping"]
    state: DeliveryState
    attempts: int
    next_attempt_at: datetime | None
    last_status: int | None
    last_latency_ms: int | None
    last_error: str | None
    response_snippet: str | None
    created_at: datetime
    delivered_at: datetime | None


class DeliveryPage(ResponseModel):
    items: list[DeliveryOut]
    next_before: Id | None = Field(description="Pass as `before` for older deliveries.")


class DeliveryQueued(ResponseModel):
    delivery_id: int
