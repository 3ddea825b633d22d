"""Every query of webhooks and their deliveries but the one access makes (a webhook with my
role in its project: projects/repository.py, shared with the other tables projects own)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, defer

from laneway.auth.ownership import owner_may_deliver
from laneway.models import (
    DeliveryState,
    ProjectCounter,
    Webhook,
    WebhookDelivery,
)
from laneway.models.webhook import WebhookEvent

UNFINISHED = (DeliveryState.pending, DeliveryState.sending)


async def add_deliveries(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Deliveries, as the values of their rows; the queue sends them in this order."""
    await session.execute(insert(WebhookDelivery), rows)


async def of_project(session: AsyncSession, project_id: int) -> Sequence[Webhook]:
    query = select(Webhook).where(Webhook.project_id == project_id).order_by(Webhook.id)
    return (await session.scalars(query)).all()


async def deliveries(
    session: AsyncSession, webhook_id: int, before: int | None, limit: int
) -> Sequence[WebhookDelivery]:
    """A page of the log, without the messages' bodies (each as large as its event, a task's
    description included): the log shows outcomes, and a body read by mistake raises."""
    query = (
        select(WebhookDelivery)
        .where(WebhookDelivery.webhook_id == webhook_id)
        .options(defer(WebhookDelivery.body, raiseload=True))
    )
    if before is not None:
        query = query.where(WebhookDelivery.id < before)
    return (await session.scalars(query.order_by(WebhookDelivery.id.desc()).limit(limit))).all()


async def delivery(
    session: AsyncSession, webhook_id: int, delivery_id: int
) -> WebhookDelivery | None:
    return await session.scalar(
        select(WebhookDelivery).where(
            WebhookDelivery.id == delivery_id, WebhookDelivery.webhook_id == webhook_id
        )
    )


# --- the queue -------------------------------------------------------------------------------


async def behind(session: AsyncSession, limit: int) -> Sequence[tuple[int, int, int]]:
    """Active webhooks whose project has events past their cursor: (id, project, cursor)."""
    rows = await session.execute(
        select(Webhook.id, Webhook.project_id, Webhook.cursor_seq)
        .join(ProjectCounter, ProjectCounter.project_id == Webhook.project_id)
        .where(Webhook.active, ProjectCounter.event_seq > Webhook.cursor_seq)
        .order_by(Webhook.id)
        .limit(limit)
    )
    return [(r[0], r[1], r[2]) for r in rows]


async def subscriptions(session: AsyncSession) -> dict[int, frozenset[str]]:
    """Each project with an active webhook: the event types they subscribe to ("*": all)."""
    found: dict[int, set[str]] = {}
    for project_id, events in await session.execute(
        select(Webhook.project_id, Webhook.events).where(Webhook.active)
    ):
        found.setdefault(project_id, set()).update(events)
    return {project_id: frozenset(events) for project_id, events in found.items()}


async def active(session: AsyncSession, webhook_ids: list[int]) -> dict[int, list[WebhookEvent]]:
    """The subscribed event types of those webhooks that are active and whose owner may still
    have them delivered."""
    rows = await session.execute(
        select(Webhook.id, Webhook.events).where(
            Webhook.id.in_(webhook_ids), Webhook.active, owner_may_deliver()
        )
    )
    return {row[0]: row[1] for row in rows}


async def advance(session: AsyncSession, webhook_id: int, seen: int, upto: int) -> bool:
    """Moves the cursor from `seen` to `upto`; False if another runner moved it first (its
    deliveries are then the ones that count, and this transaction must roll back)."""
    result = await session.execute(
        update(Webhook)
        .where(Webhook.id == webhook_id, Webhook.cursor_seq == seen)
        .values(cursor_seq=upto)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def due(
    session: AsyncSession, now: datetime, limit: int, skip: set[int]
) -> list[tuple[int, int]]:
    """Deliveries that may go now: each webhook's oldest unfinished one, when its time has
    come (or its sender's lease ran out), on an active webhook whose owner may still have it
    delivered. One per webhook at a time keeps each endpoint's messages in event order."""
    earlier = aliased(WebhookDelivery)
    query = (
        select(WebhookDelivery.id, WebhookDelivery.webhook_id)
        .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
        .where(
            Webhook.active,
            owner_may_deliver(),
            (
                (WebhookDelivery.state == DeliveryState.pending)
                & (WebhookDelivery.next_attempt_at <= now)
            )
            | (
                (WebhookDelivery.state == DeliveryState.sending)
                & (WebhookDelivery.lease_until < now)
            ),
            ~exists().where(
                earlier.webhook_id == WebhookDelivery.webhook_id,
                earlier.id < WebhookDelivery.id,
                earlier.state.in_(UNFINISHED),
            ),
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
    )
    if skip:
        query = query.where(WebhookDelivery.webhook_id.not_in(skip))
    return [(row[0], row[1]) for row in await session.execute(query)]


async def queue(session: AsyncSession, now: datetime) -> tuple[int, datetime | None]:
    """Unfinished deliveries, and when the oldest due one became due."""
    depth = await session.scalar(select(func.count()).where(WebhookDelivery.state.in_(UNFINISHED)))
    oldest = await session.scalar(
        select(func.min(WebhookDelivery.next_attempt_at)).where(
            WebhookDelivery.state == DeliveryState.pending, WebhookDelivery.next_attempt_at <= now
        )
    )
    return depth or 0, oldest


async def claim(
    session: AsyncSession, delivery_ids: list[int], now: datetime, lease_until: datetime
) -> list[tuple[WebhookDelivery, Webhook]]:
    """Takes those of the deliveries nobody has taken since, in one statement: the rows' own
    condition is the lock, so this works alike on SQLite and PostgreSQL and across any number
    of runners. Returns what was taken, with its webhook. The webhook's state and its owner's
    rights are checked in the same statement: nothing is sent once either is gone."""
    sendable = select(Webhook.id).where(Webhook.active, owner_may_deliver())
    result = await session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id.in_(delivery_ids),
            WebhookDelivery.webhook_id.in_(sendable),
            (
                (WebhookDelivery.state == DeliveryState.pending)
                & (WebhookDelivery.next_attempt_at <= now)
            )
            | (
                (WebhookDelivery.state == DeliveryState.sending)
                & (WebhookDelivery.lease_until < now)
            ),
        )
        .values(
            state=DeliveryState.sending,
            lease_until=lease_until,
            attempts=WebhookDelivery.attempts + 1,
        )
        .returning(WebhookDelivery.id)
        .execution_options(synchronize_session=False)
    )
    taken = list(result.scalars())
    if not taken:
        return []
    rows = await session.execute(
        select(WebhookDelivery, Webhook)
        .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
        .where(WebhookDelivery.id.in_(taken))
        .execution_options(populate_existing=True)
    )
    return [(row[0], row[1]) for row in rows]
