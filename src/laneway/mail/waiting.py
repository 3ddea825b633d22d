"""Every query of one person's digest: what waits for them (neither emailed nor read, in a
project they are still a member of), the few items it lists, counts of the rest, and the
mark once it went. Each runs as one statement whatever the number waiting, so a pass of the
mailer costs the same for ten notifications as for ten thousand."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Row, and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from laneway.models import (
    EmailStart,
    Membership,
    Notification,
    NotificationKind,
    Project,
    Task,
    User,
)

Actor = aliased(User)
ItemRow = Row[Notification, str, str, int | None, str | None, str | None]


@dataclass(frozen=True, slots=True)
class Window:
    """What one digest looks at: the person, how far back (`horizon`), and when email
    started on this instance (made before it: the backlog)."""

    user_id: int
    horizon: datetime
    started_at: datetime

    def waiting(self) -> ColumnElement[bool]:
        mine = select(Membership.project_id).where(Membership.user_id == self.user_id)
        return and_(
            Notification.user_id == self.user_id,
            Notification.created_at >= self.horizon,
            Notification.emailed_at.is_(None),
            Notification.read_at.is_(None),
            Notification.project_id.in_(mine.scalar_subquery()),
        )

    def fresh(self) -> ColumnElement[bool]:
        return Notification.created_at >= self.started_at


async def first_start(session: AsyncSession, now: datetime) -> datetime:
    """When this instance first sent emails: `now` unless an earlier start was recorded."""
    dialect = session.get_bind().dialect.name
    statement = (postgresql if dialect == "postgresql" else sqlite).insert(EmailStart)
    await session.execute(
        statement.values(id=1, started_at=now).on_conflict_do_nothing(index_elements=["id"])
    )
    started = await session.execute(select(EmailStart.started_at).where(EmailStart.id == 1))
    return started.scalar_one()


async def recipient(session: AsyncSession, user_id: int) -> tuple[str, str] | None:
    """(address, name) of an active account that wants email; None otherwise."""
    row = (
        await session.execute(
            select(User.email, User.name).where(
                User.id == user_id, User.is_active, User.email_notifications
            )
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def items(
    session: AsyncSession,
    window: Window,
    kinds: Collection[NotificationKind],
    *,
    exclude: bool = False,
    newest_first: bool,
    limit: int,
) -> Sequence[ItemRow]:
    """Fresh notifications of these kinds (of every other kind with `exclude`), with the
    names a line shows (project key and name, task number and title, actor)."""
    kind = Notification.kind.not_in(kinds) if exclude else Notification.kind.in_(kinds)
    rows = await session.execute(
        select(Notification, Project.key, Project.name, Task.number, Task.title, Actor.name)
        .join(Project, Project.id == Notification.project_id)
        .outerjoin(Task, Task.id == Notification.task_id)
        .outerjoin(Actor, Actor.id == Notification.actor_id)
        .where(window.waiting(), window.fresh(), kind)
        .order_by(Notification.id.desc() if newest_first else Notification.id)
        .limit(limit)
    )
    return rows.all()


@dataclass(frozen=True, slots=True)
class Count:
    project_id: int
    project: str
    kind: NotificationKind
    backlog: bool
    count: int
    last_id: int


async def counts(session: AsyncSession, window: Window) -> list[Count]:
    """Everything waiting, counted by project, kind and backlog-or-not."""
    # labelled in a subquery: PostgreSQL cannot tell that two bound copies of the comparison,
    # one selected and one grouped by, are the same expression
    waiting = (
        select(
            Notification.id,
            Notification.project_id,
            Notification.kind,
            (Notification.created_at < window.started_at).label("backlog"),
        )
        .where(window.waiting())
        .subquery()
    )
    rows = await session.execute(
        select(
            waiting.c.project_id,
            Project.name,
            waiting.c.kind,
            waiting.c.backlog,
            func.count(),
            func.max(waiting.c.id),
        )
        .join(Project, Project.id == waiting.c.project_id)
        .group_by(waiting.c.project_id, Project.name, waiting.c.kind, waiting.c.backlog)
    )
    return [Count(p, name, k, bool(b), n, last) for p, name, k, b, n, last in rows]


async def mark_emailed(
    session: AsyncSession,
    window: Window,
    up_to: int,
    mentions: Collection[int],
    now: datetime,
) -> None:
    """Marks what a digest covered: everything waiting up to `up_to` (the newest it counted),
    except fresh mentions it did not list, which stay for the next digest. A mention is
    marked by its id only, so one that arrives while the digest is written is never marked
    unseen."""
    await session.execute(
        update(Notification)
        .where(
            window.waiting(),
            Notification.id <= up_to,
            or_(
                Notification.kind != NotificationKind.mentioned,
                Notification.created_at < window.started_at,
                Notification.id.in_(mentions),
            ),
        )
        .values(emailed_at=now)
        .execution_options(synchronize_session=False)
    )
