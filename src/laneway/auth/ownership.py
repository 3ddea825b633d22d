"""A webhook belongs to its project and answers to its owner: the admin who last chose where it
sends or turned it on. It delivers only while that account is active and an admin or owner of
the project; when it no longer is, the webhook stops (inactive, with the reason) until another
admin turns it back on and so becomes its owner.

Two checks, so no path is missed: the changes that take rights away stop the owner's webhooks
in their own transaction (what the API shows), and the runner delivers only for owners who
hold the rights at that moment (`owner_may_deliver`, inside the statement that claims a
delivery), whatever process or path changed them.

It lives with the accounts, below projects and webhooks: account deactivation (auth) and role
changes (projects) call it in their transaction, and the webhooks' queries use its condition.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, update
from sqlalchemy.ext.asyncio import AsyncSession

from laneway.models import Membership, Role, User, Webhook

REMOVED = "Its owner left the project; an admin can turn it back on and so take it over."
DEMOTED = "Its owner is no longer an admin; an admin can turn it back on and so take it over."
DEACTIVATED = (
    "Its owner's account was deactivated; an admin can turn it back on and so take it over."
)
LOST_ACCESS = (
    "Its owner no longer administers the project; an admin can turn it back on and so take it over."
)
MANAGING = (Role.admin, Role.owner)


def owner_may_deliver() -> ColumnElement[bool]:
    """True where the webhook's owner is an active admin or owner of its project (a condition
    on `webhooks` rows, for the runner's queries)."""
    return exists().where(
        Membership.project_id == Webhook.project_id,
        Membership.user_id == Webhook.owner_id,
        Membership.role.in_(MANAGING),
        User.id == Membership.user_id,
        User.is_active,
    )


async def _stop(session: AsyncSession, reason: str, *where: ColumnElement[bool]) -> None:
    await session.execute(
        update(Webhook)
        .where(Webhook.active, *where)
        .values(active=False, disabled_reason=reason)
        .execution_options(synchronize_session="fetch")
    )


async def member_lost_admin(
    session: AsyncSession, project_id: int, user_id: int, *, removed: bool
) -> None:
    """The member left the project or is no longer an admin: their webhooks there stop."""
    reason = REMOVED if removed else DEMOTED
    await _stop(session, reason, Webhook.project_id == project_id, Webhook.owner_id == user_id)


async def account_deactivated(session: AsyncSession, user_id: int) -> None:
    await _stop(session, DEACTIVATED, Webhook.owner_id == user_id)


async def stop_unowned(session: AsyncSession, webhook_ids: list[int]) -> None:
    """Those of the webhooks whose owner lost the rights by a path that did not stop them."""
    await _stop(session, LOST_ACCESS, Webhook.id.in_(webhook_ids), ~owner_may_deliver())
