"""Committed events become deliveries. The event log is the outbox: a change and its events
commit together, and each webhook's cursor moves in the same transaction that adds its
deliveries, so every committed event of a subscribed type becomes exactly one delivery, even
with several runners and after any crash. The write path pays nothing for it."""

from __future__ import annotations

from typing import Any

import orjson

from laneway.activity import repository as activity_repository
from laneway.activity.schemas import EventOut
from laneway.db import Database
from laneway.models import Event, Webhook, WebhookDelivery
from laneway.webhooks import repository

BATCH = 500


class _Overtaken(Exception):
    """Another runner moved this webhook's cursor first: roll back ours."""


def subscribed(events: list[str], event_type: str) -> bool:
    return "*" in events or event_type in events


def body(event: Event) -> str:
    data: dict[str, Any] = {"project_id": event.project_id}
    data.update(EventOut.model_validate(event).model_dump(mode="json"))
    return orjson.dumps({"type": event.type, "timestamp": event.created_at, "data": data}).decode()


def message_id(webhook_id: int, seq: int) -> str:
    return f"msg_{webhook_id}_{seq}"


async def dispatch(database: Database, batch: int = BATCH) -> int:
    """Deliveries for events past each active webhook's cursor; returns how many were made."""
    async with database.transaction(write=False) as session:
        behind = await repository.behind(session, limit=100)
    made = 0
    for webhook_id, project_id, cursor in behind:
        try:
            async with database.transaction() as session:
                webhook = await session.get(Webhook, webhook_id)
                if webhook is None or not webhook.active:
                    continue
                events = await activity_repository.events_after(
                    session, project_id, cursor, limit=batch
                )
                if not events:
                    continue
                if not await repository.advance(session, webhook_id, cursor, events[-1].seq):
                    raise _Overtaken
                for event in events:
                    if subscribed(webhook.events, event.type):
                        session.add(
                            WebhookDelivery(
                                webhook_id=webhook_id,
                                message_id=message_id(webhook_id, event.seq),
                                event_seq=event.seq,
                                event_type=event.type,
                                body=body(event),
                            )
                        )
                        made += 1
        except _Overtaken:
            continue
    return made
