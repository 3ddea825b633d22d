"""The notification emails' queries outside one digest (mail/waiting.py has those): whose
batch is due, the claim on it, and the account's switch."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from laneway.models import EmailBatch, Membership, Notification, User


def _pending(oldest: datetime) -> ColumnElement[bool]:
    """Notifications an email may cover: neither emailed nor read, within the horizon, of an
    active account that wants email, in a project the account is still a member of (the
    joins below)."""
    return and_(
        Notification.created_at >= oldest,
        Notification.emailed_at.is_(None),
        Notification.read_at.is_(None),
        User.is_active,
        User.email_notifications,
    )


_member = and_(
    Membership.project_id == Notification.project_id,
    Membership.user_id == Notification.user_id,
)


async def due(
    session: AsyncSession, cutoff: datetime, oldest: datetime, limit: int
) -> Sequence[tuple[int, datetime | None]]:
    """Accounts whose batch is due: the oldest notification waiting is a window old (`cutoff`)
    and no batch started within the window; (account, when its last batch started)."""
    waiting_since = func.min(Notification.created_at)
    rows = await session.execute(
        select(Notification.user_id, EmailBatch.started_at)
        .join(User, User.id == Notification.user_id)
        .join(Membership, _member)
        .outerjoin(EmailBatch, EmailBatch.user_id == Notification.user_id)
        .where(
            _pending(oldest),
            or_(EmailBatch.started_at.is_(None), EmailBatch.started_at <= cutoff),
        )
        .group_by(Notification.user_id, EmailBatch.started_at)
        .having(waiting_since <= cutoff)
        .order_by(waiting_since, Notification.user_id)
        .limit(limit)
    )
    return [(row[0], row[1]) for row in rows]


async def claim(session: AsyncSession, user_id: int, now: datetime, cutoff: datetime) -> bool:
    """Starts the account's batch unless one started within the window (another process's,
    or this one's); True: this caller sends it. One statement, so two processes racing for
    the same account cannot both win (PostgreSQL re-checks the condition on the row the
    winner wrote; SQLite has one writer at a time)."""
    dialect = session.get_bind().dialect.name
    statement = (postgresql if dialect == "postgresql" else sqlite).insert(EmailBatch)
    result = await session.execute(
        statement.values(user_id=user_id, started_at=now)
        .on_conflict_do_update(
            index_elements=[EmailBatch.user_id],
            set_={"started_at": now},
            where=EmailBatch.started_at <= cutoff,
        )
        .returning(EmailBatch.user_id)
    )
    return result.first() is not None


async def release(
    session: AsyncSession, user_id: int, claimed_at: datetime, previous: datetime | None
) -> None:
    """Gives a batch that could not go back, as it was before the claim (nothing was sent:
    the next pass may try again at once)."""
    mine = and_(EmailBatch.user_id == user_id, EmailBatch.started_at == claimed_at)
    if previous is None:
        await session.execute(delete(EmailBatch).where(mine))
    else:
        await session.execute(
            update(EmailBatch)
            .where(mine)
            .values(started_at=previous)
            .execution_options(synchronize_session=False)
        )


async def wants_email(session: AsyncSession, user_id: int) -> bool | None:
    """The account's switch; None: no such account."""
    return await session.scalar(select(User.email_notifications).where(User.id == user_id))


async def set_wants_email(session: AsyncSession, user_id: int, value: bool) -> bool:
    """False: no such account."""
    result = await session.execute(
        update(User)
        .where(User.id == user_id)
        .values(email_notifications=value)
        .returning(User.id)
        .execution_options(synchronize_session=False)
    )
    return result.first() is not None
