from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from laneway.auth.deps import CurrentUser
from laneway.db import SessionDep, writes
from laneway.errors import responses
from laneway.kit.schemas import Id
from laneway.outbound.client import OutboundDep
from laneway.projects.access import ProjectAdmin, ProjectAdminAnyState
from laneway.webhooks import repository, service
from laneway.webhooks.schemas import (
    DeliveryOut,
    DeliveryPage,
    DeliveryQueued,
    WebhookCreateIn,
    WebhookOut,
    WebhookUpdateIn,
    WebhookWithSecret,
)

router = APIRouter(tags=["webhooks"])


@router.post(
    "/projects/{project_id}/webhooks",
    status_code=status.HTTP_201_CREATED,
    response_model=WebhookWithSecret,
    operation_id="create_webhook",
    responses=responses(400, 401, 403, 404, 409, 413, 422),
)
@writes
async def create_webhook(
    body: WebhookCreateIn, access: ProjectAdmin, session: SessionDep, outbound: OutboundDep
) -> WebhookWithSecret:
    """Deliver the project's events (of these types) to a URL, signed with the secret shown
    in this answer only (Standard Webhooks headers: webhook-id, -timestamp, -signature)."""
    webhook = await service.create(session, access, body, outbound.allowed)
    return WebhookWithSecret.model_validate(webhook)


@router.get(
    "/projects/{project_id}/webhooks",
    response_model=list[WebhookOut],
    operation_id="list_webhooks",
    responses=responses(401, 403, 404, 422),
)
async def list_webhooks(access: ProjectAdminAnyState, session: SessionDep) -> list[WebhookOut]:
    found = await repository.of_project(session, access.project.id)
    return [WebhookOut.model_validate(webhook) for webhook in found]


@router.get(
    "/webhooks/{webhook_id}",
    response_model=WebhookOut,
    operation_id="get_webhook",
    responses=responses(401, 403, 404, 422),
)
async def get_webhook(webhook_id: Id, user: CurrentUser, session: SessionDep) -> WebhookOut:
    webhook = await service.managed(session, webhook_id, user.id, writes=False)
    return WebhookOut.model_validate(webhook)


@router.patch(
    "/webhooks/{webhook_id}",
    response_model=WebhookOut | WebhookWithSecret,
    operation_id="update_webhook",
    responses=responses(400, 401, 403, 404, 409, 413, 422),
)
@writes
async def update_webhook(
    webhook_id: Id,
    body: WebhookUpdateIn,
    user: CurrentUser,
    session: SessionDep,
    outbound: OutboundDep,
) -> WebhookOut | WebhookWithSecret:
    """Change the URL, the event types or `active`; `rotate_secret` answers with the new
    secret, once (the old one keeps signing alongside it for 24 hours). Changing the URL or
    turning it on makes you its owner: it stops when its owner is no longer an admin of the
    project, and turning it back on is how another admin takes it over."""
    webhook = await service.managed(session, webhook_id, user.id, writes=True)
    secret = await service.update(session, webhook, body, outbound.allowed, user.id)
    if secret is not None:
        return WebhookWithSecret.model_validate(webhook)
    return WebhookOut.model_validate(webhook)


@router.delete(
    "/webhooks/{webhook_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="delete_webhook",
    responses=responses(401, 403, 404, 409, 422),
)
@writes
async def delete_webhook(webhook_id: Id, user: CurrentUser, session: SessionDep) -> Response:
    """Delete it, with its delivery log; nothing more is sent to it."""
    webhook = await service.managed(session, webhook_id, user.id, writes=True)
    await service.delete(session, webhook)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    response_model=DeliveryPage,
    operation_id="list_webhook_deliveries",
    responses=responses(401, 403, 404, 422),
)
async def list_deliveries(
    webhook_id: Id,
    user: CurrentUser,
    session: SessionDep,
    before: Annotated[Id | None, Query(description="From `next_before`.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> DeliveryPage:
    """The delivery log, newest first: attempts, last status, latency, response snippet."""
    webhook = await service.managed(session, webhook_id, user.id, writes=False)
    items, next_before = await service.deliveries(session, webhook, before, limit)
    return DeliveryPage(
        items=[DeliveryOut.model_validate(item) for item in items], next_before=next_before
    )


@router.post(
    "/webhooks/{webhook_id}/ping",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=DeliveryQueued,
    operation_id="ping_webhook",
    responses=responses(401, 403, 404, 409, 422),
)
@writes
async def ping_webhook(webhook_id: Id, user: CurrentUser, session: SessionDep) -> DeliveryQueued:
    """Queue a `webhook.ping` message; its outcome shows in the delivery log."""
    webhook = await service.managed(session, webhook_id, user.id, writes=True)
    delivery = await service.ping(session, webhook)
    return DeliveryQueued(delivery_id=delivery.id)


@router.post(
    "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=DeliveryQueued,
    operation_id="redeliver_webhook_delivery",
    responses=responses(401, 403, 404, 409, 422),
)
@writes
async def redeliver(
    webhook_id: Id, delivery_id: Id, user: CurrentUser, session: SessionDep
) -> DeliveryQueued:
    """Send a message again (same webhook-id, for receivers that dedupe), as a new delivery."""
    webhook = await service.managed(session, webhook_id, user.id, writes=True)
    delivery = await service.redeliver(session, webhook, delivery_id)
    return DeliveryQueued(delivery_id=delivery.id)
