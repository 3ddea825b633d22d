"""Committed events become deliveries. The event log is the outbox: a change and its events
commit together, and each webhook's cursor moves in the same transaction that adds its
deliveries, so every committed event of a subscribed type becomes exactly one delivery, even
with several runners and after any crash. The write path pays nothing for it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from laneway.activity import repository as activity_repository
from laneway.activity.schemas import EVENT_OUT
from laneway.auth import ownership
from laneway.db import Database
from laneway.models import Event
from laneway.models.event_types import EventType
from laneway.models.webhook import WebhookEvent
from laneway.webhooks import repository

BATCH = 500


class _Overtaken(Exception):
    """Another runner moved this webhook's cursor first: roll back ours."""


def subscribed(events: list[WebhookEvent], event_type: EventType) -> bool:
    return "*" in events or event_type in events


def body(event: Event) -> str:
    data: dict[str, Any] = {"project_id": event.project_id}
    data.update(
        EVENT_OUT.dump_python(EVENT_OUT.validate_python(event, from_attributes=True), mode="json")
    )
    return orjson.dumps({"type": event.type, "timestamp": event.created_at, "data": data}).decode()


def message_id(webhook_id: int, seq: int) -> str:
    return f"msg_{webhook_id}_{seq}"


async def dispatch(database: Database, batch: int = BATCH) -> int:
    """Deliveries for events past each active webhook's cursor, for all of them in one
    transaction (the events of a project read once for its webhooks); returns how many were
    made. If another runner moved a cursor first, this pass adds nothing: the next one will."""
    async with database.transaction(write=False) as session:
        behind = await repository.behind(session, limit=100)
    if not behind:
        return 0
    rows: list[dict[str, Any]] = []
    try:
        async with database.transaction() as session:
            active = await repository.active(session, [w for w, _, _ in behind])
            if len(active) < len(behind):  # stopped since, or its owner lost the rights
                await ownership.stop_unowned(session, [w for w, _, _ in behind])
            read: dict[tuple[int, int], Sequence[Event]] = {}
            for webhook_id, project_id, cursor in behind:
                events_of = active.get(webhook_id)
                if events_of is None:
                    continue
                if (project_id, cursor) not in read:
                    read[project_id, cursor] = await activity_repository.events_after(
                        session, project_id, cursor, limit=batch
                    )
                events = read[project_id, cursor]
                if not events:
                    continue
                if not await repository.advance(session, webhook_id, cursor, events[-1].seq):
                    raise _Overtaken
                rows.extend(
                    {
                        "webhook_id": webhook_id,
                        "message_id": message_id(webhook_id, event.seq),
                        "event_seq": event.seq,
                        "event_type": event.type,
                        "body": body(event),
                    }
                    for event in events
                    if subscribed(events_of, event.type)
                )
            if rows:  # in event order per webhook: the queue sends by id
                await repository.add_deliveries(session, rows)
    except _Overtaken:
        return 0
    return len(rows)
