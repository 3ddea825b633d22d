"""Every query of watchers, notifications and the notifier's cursors."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, and_, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from laneway.models import (
    Membership,
    Notification,
    NotificationCursor,
    NotifyLevel,
    Project,
    ProjectCounter,
    Status,
    StatusCategory,
    Task,
    User,
    Watcher,
)
from laneway.models.base import utcnow
from laneway.notifications.rules import Member


def _insert_ignoring_duplicates(session: AsyncSession, model: Any) -> Any:
    """INSERT that skips rows a unique key already has (both backends spell it alike)."""
    dialect = session.get_bind().dialect.name
    statement = (postgresql if dialect == "postgresql" else sqlite).insert(model)
    return statement.on_conflict_do_nothing()


# --- the notifier's queue ----------------------------------------------------------------------


async def behind(session: AsyncSession, limit: int) -> Sequence[tuple[int, int | None]]:
    """Projects with events past their cursor: (project, cursor; None: no cursor row yet)."""
    rows = await session.execute(
        select(ProjectCounter.project_id, NotificationCursor.seq)
        .outerjoin(NotificationCursor, NotificationCursor.project_id == ProjectCounter.project_id)
        .where(ProjectCounter.event_seq > func.coalesce(NotificationCursor.seq, 0))
        .order_by(ProjectCounter.project_id)
        .limit(limit)
    )
    return [(row[0], row[1]) for row in rows]


async def advance(session: AsyncSession, project_id: int, seen: int | None, upto: int) -> bool:
    """Moves the project's cursor from `seen` to `upto`; False if another runner moved it."""
    if seen is None:
        result = await session.execute(
            _insert_ignoring_duplicates(session, NotificationCursor).values(
                project_id=project_id, seq=upto
            )
        )
    else:
        result = await session.execute(
            update(NotificationCursor)
            .where(NotificationCursor.project_id == project_id, NotificationCursor.seq == seen)
            .values(seq=upto)
            .execution_options(synchronize_session=False)
        )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def members(session: AsyncSession, project_id: int) -> dict[int, Member]:
    rows = await session.execute(
        select(Membership.user_id, User.username, Membership.notify_level)
        .join(User, User.id == Membership.user_id)
        .where(Membership.project_id == project_id, User.is_active)
    )
    return {row[0]: Member(row[0], row[1], row[2]) for row in rows}


async def watchers(session: AsyncSession, task_ids: Collection[int]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = {task_id: set() for task_id in task_ids}
    if task_ids:
        rows = await session.execute(
            select(Watcher.task_id, Watcher.user_id).where(Watcher.task_id.in_(task_ids))
        )
        for task_id, user_id in rows:
            found[task_id].add(user_id)
    return found


async def existing_tasks(session: AsyncSession, task_ids: Collection[int]) -> set[int]:
    if not task_ids:
        return set()
    return set(await session.scalars(select(Task.id).where(Task.id.in_(task_ids))))


async def status_names(session: AsyncSession, project_id: int) -> dict[int, str]:
    rows = await session.execute(
        select(Status.id, Status.name).where(Status.project_id == project_id)
    )
    return {row[0]: row[1] for row in rows}


# --- watching ----------------------------------------------------------------------------------


async def watch(session: AsyncSession, task_id: int, user_id: int) -> None:
    await session.execute(
        _insert_ignoring_duplicates(session, Watcher).values(task_id=task_id, user_id=user_id)
    )


async def watch_all(session: AsyncSession, pairs: Collection[tuple[int, int]]) -> None:
    """Each (task id, user id) watches, unless it does already."""
    now = utcnow()
    await session.execute(
        _insert_ignoring_duplicates(session, Watcher),
        [{"task_id": t, "user_id": u, "created_at": now} for t, u in pairs],
    )


async def add(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Notifications, as the values of their rows."""
    await session.execute(insert(Notification), rows)


async def unwatch(session: AsyncSession, task_id: int, user_id: int) -> None:
    await session.execute(
        delete(Watcher).where(Watcher.task_id == task_id, Watcher.user_id == user_id)
    )


async def watchers_of(session: AsyncSession, task_id: int) -> Sequence[Row[int, str, str]]:
    return (
        await session.execute(
            select(User.id, User.name, User.username)
            .join(Watcher, Watcher.user_id == User.id)
            .where(Watcher.task_id == task_id)
            .order_by(User.name, User.id)
        )
    ).all()


# --- the inbox ---------------------------------------------------------------------------------

Actor = aliased(User)
# a notification shows only while its user is still a member of its project
_STILL_MEMBER = and_(
    Membership.project_id == Notification.project_id,
    Membership.user_id == Notification.user_id,
)


InboxRow = Row[Notification, str, str, int | None, str | None, str | None]


async def inbox(
    session: AsyncSession, user_id: int, *, unread_only: bool, before: int | None, limit: int
) -> Sequence[InboxRow]:
    """Newest first, with what each names (project, task, actor) in the same query; only in
    projects the user is still a member of (a former member stops seeing their titles)."""
    query = (
        select(Notification, Project.key, Project.name, Task.number, Task.title, Actor.name)
        .join(Project, Project.id == Notification.project_id)
        .join(Membership, _STILL_MEMBER)
        .outerjoin(Task, Task.id == Notification.task_id)
        .outerjoin(Actor, Actor.id == Notification.actor_id)
        .where(Notification.user_id == user_id)
    )
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    if before is not None:
        query = query.where(Notification.id < before)
    rows = await session.execute(query.order_by(Notification.id.desc()).limit(limit))
    return rows.all()


async def newest(session: AsyncSession, user_id: int) -> int:
    """The user's newest notification id (0: none), in projects they are a member of."""
    found = await session.scalar(
        select(func.max(Notification.id))
        .join(Membership, _STILL_MEMBER)
        .where(Notification.user_id == user_id)
    )
    return found or 0


async def unread(session: AsyncSession, user_id: int) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Notification)
        .join(Membership, _STILL_MEMBER)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )
    return count or 0


async def mark_read(
    session: AsyncSession, user_id: int, now: datetime, *, only: int | None, upto: int | None
) -> int:
    query = update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )
    if only is not None:
        query = query.where(Notification.id == only)
    if upto is not None:
        query = query.where(Notification.id <= upto)
    result = await session.execute(
        query.values(read_at=now).execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def is_theirs(session: AsyncSession, user_id: int, notification_id: int) -> bool:
    """Whether the notification exists and is the user's (read or not)."""
    owner = await session.scalar(
        select(Notification.user_id).where(Notification.id == notification_id)
    )
    return owner == user_id


async def level(session: AsyncSession, project_id: int, user_id: int) -> NotifyLevel | None:
    return await session.scalar(
        select(Membership.notify_level).where(
            Membership.project_id == project_id, Membership.user_id == user_id
        )
    )


async def set_level(
    session: AsyncSession, project_id: int, user_id: int, value: NotifyLevel
) -> None:
    await session.execute(
        update(Membership)
        .where(Membership.project_id == project_id, Membership.user_id == user_id)
        .values(notify_level=value)
        .execution_options(synchronize_session=False)
    )


# --- due dates ---------------------------------------------------------------------------------


async def add_due_reminders(
    session: AsyncSession, today: date, oldest: date
) -> tuple[int, set[int]]:
    """`due_soon` (due tomorrow) and `overdue` (due since `oldest`, not done) for each open
    task's assignee, once per task and due date (the unique key skips the ones made)."""
    total, users = 0, set()
    tomorrow = date.fromordinal(today.toordinal() + 1)
    imported_on = NotificationCursor.imported_on
    for kind, condition in (
        # an imported project's tasks were reminded of before: what was due by its import day
        # (tomorrow's too, on that day) is not reminded of again
        ("due_soon", (Task.due_date == tomorrow) & or_(imported_on.is_(None), imported_on < today)),
        (
            "overdue",
            (Task.due_date < today)
            & (Task.due_date >= oldest)
            & or_(imported_on.is_(None), Task.due_date >= imported_on),
        ),
    ):
        rows = (
            select(Task.assignee_id, Task.project_id, Task.id, Task.due_date)
            .join(Status, Status.id == Task.status_id)
            .outerjoin(NotificationCursor, NotificationCursor.project_id == Task.project_id)
            .join(
                Membership,
                and_(
                    Membership.project_id == Task.project_id,
                    Membership.user_id == Task.assignee_id,
                ),
            )
            .where(
                condition,
                Task.archived_at.is_(None),
                Task.assignee_id.is_not(None),
                Status.category != StatusCategory.done,
                Membership.notify_level != NotifyLevel.none,
            )
        )
        found = (await session.execute(rows)).all()
        if not found:
            continue
        result = await session.execute(
            _insert_ignoring_duplicates(session, Notification).returning(Notification.user_id),
            [
                {
                    "user_id": user_id,
                    "project_id": project_id,
                    "task_id": task_id,
                    "kind": kind,
                    "due_on": due,
                    "excerpt": "",
                }
                for user_id, project_id, task_id, due in found
            ],
        )
        made = list(result.scalars())  # the rows made; those already there return nothing
        total += len(made)
        users.update(made)
    return total, users
