"""Webhook rules: who may manage them (project admins and owners), what a URL may be, the
secret's rotation, pings and redeliveries. Takes a session; never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from laneway.activity import repository as activity_repository
from laneway.commits import pending
from laneway.errors import FieldError, NotFound, UnprocessableContent
from laneway.models import Role, Webhook, WebhookDelivery
from laneway.models.base import utcnow
from laneway.outbound import ssrf
from laneway.projects import repository as project_repository
from laneway.projects.access import ProjectAccess, check_role
from laneway.webhooks import repository, signing
from laneway.webhooks.schemas import WebhookCreateIn, WebhookUpdateIn

ROTATION_GRACE = timedelta(hours=24)


async def _check_url(url: str, allowed: tuple[ssrf.Network, ...]) -> None:
    try:
        await ssrf.resolve(url, allowed)
    except ssrf.Refused as refused:
        raise UnprocessableContent(
            f"This URL cannot receive webhooks: {refused.reason}.",
            errors=[FieldError(loc=["body", "url"], msg=refused.reason, type="url_refused")],
        ) from None


async def create(
    session: AsyncSession,
    access: ProjectAccess,
    body: WebhookCreateIn,
    allowed: tuple[ssrf.Network, ...],
) -> Webhook:
    await _check_url(body.url, allowed)
    webhook = Webhook(
        project_id=access.project.id,
        url=body.url,
        events=list(body.events),
        secret=signing.new_secret(),
        active=True,
        # from the next event on: a new endpoint does not get the project's whole history
        cursor_seq=await activity_repository.last_seq(session, access.project.id),
        owner_id=access.user.id,
    )
    session.add(webhook)
    await session.flush()
    pending(session).webhooks_changed.append(webhook.project_id)
    return webhook


async def managed(session: AsyncSession, webhook_id: int, user_id: int, *, writes: bool) -> Webhook:
    """The webhook, if I am an admin or owner of its project (non-members get 404)."""
    found = await project_repository.row_with_role(session, Webhook, webhook_id, user_id)
    if found is None:
        raise NotFound("No such webhook.")
    webhook, role, archived_at = found
    check_role(role, Role.admin, writes=writes, archived=archived_at)
    return webhook


async def update(
    session: AsyncSession,
    webhook: Webhook,
    body: WebhookUpdateIn,
    allowed: tuple[ssrf.Network, ...],
    by: int,
) -> str | None:
    """Applies the change; returns the new secret when it was rotated. The admin who chooses
    where it sends, or turns it on (taking over one whose owner lost access), becomes its
    owner: it delivers only while they may."""
    if body.url is not None and body.url != webhook.url:
        await _check_url(body.url, allowed)
        webhook.url = body.url
        webhook.owner_id = by
    if body.events is not None:
        webhook.events = list(body.events)
    if body.active is not None and body.active != webhook.active:
        webhook.active = body.active
        webhook.disabled_reason = None if body.active else "Disabled by an admin."
        if body.active:
            webhook.owner_id = by
    secret = None
    if body.rotate_secret:
        secret = signing.new_secret()
        webhook.previous_secret, webhook.previous_secret_until = (
            webhook.secret,
            utcnow() + ROTATION_GRACE,
        )
        webhook.secret = secret
    await session.flush()
    pending(session).webhooks_changed.append(webhook.project_id)
    return secret


def queue(
    session: AsyncSession, webhook: Webhook, *, like: WebhookDelivery | None = None
) -> WebhookDelivery:
    """A ping (without `like`), or a redelivery of `like`'s message, at the back of the
    webhook's queue."""
    if like is None:
        message_id = f"msg_ping_{uuid.uuid4().hex}"
        body = orjson.dumps(
            {
                "type": "webhook.ping",
                "timestamp": utcnow(),
                "data": {"webhook_id": webhook.id, "project_id": webhook.project_id},
            }
        ).decode()
        delivery = WebhookDelivery(
            webhook_id=webhook.id, message_id=message_id, event_type="webhook.ping", body=body
        )
    else:
        delivery = WebhookDelivery(
            webhook_id=webhook.id,
            message_id=like.message_id,
            event_seq=like.event_seq,
            event_type=like.event_type,
            body=like.body,
        )
    session.add(delivery)
    return delivery


async def ping(session: AsyncSession, webhook: Webhook) -> WebhookDelivery:
    delivery = queue(session, webhook)
    await session.flush()
    return delivery


async def redeliver(session: AsyncSession, webhook: Webhook, delivery_id: int) -> WebhookDelivery:
    original = await repository.delivery(session, webhook.id, delivery_id)
    if original is None:
        raise NotFound("No such delivery.")
    delivery = queue(session, webhook, like=original)
    await session.flush()
    return delivery


async def delete(session: AsyncSession, webhook: Webhook) -> None:
    """The webhook goes, with its delivery log (by cascade)."""
    await session.delete(webhook)


async def deliveries(
    session: AsyncSession, webhook: Webhook, before: int | None, limit: int
) -> tuple[Sequence[WebhookDelivery], int | None]:
    found = await repository.deliveries(session, webhook.id, before, limit + 1)
    more = len(found) > limit
    items = found[:limit]
    return items, (items[-1].id if more else None)
