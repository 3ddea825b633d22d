"""Every query of exports and imports. Exports read one snapshot through a connection, a
fixed number of statements per table, large tables streamed in batches; imports look up
people in batches of emails."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from laneway.models import (
    Comment,
    Event,
    Label,
    Membership,
    Project,
    ProjectCounter,
    Role,
    Status,
    Task,
    User,
)

BATCH = 1000  # rows per fetch from a streamed result: memory stays flat whatever the size
EMAILS_PER_QUERY = 500


async def project(connection: AsyncConnection, project_id: int) -> dict[str, Any] | None:
    """The project's columns and its last task number (`task_seq`)."""
    query = (
        sa.select(Project.__table__, ProjectCounter.task_seq)
        .join(ProjectCounter, ProjectCounter.project_id == Project.id)
        .where(Project.id == project_id)
    )
    row = (await connection.execute(query)).first()
    return None if row is None else dict(row._mapping)


async def project_id_by_key(session: AsyncSession, key: str) -> int | None:
    return await session.scalar(sa.select(Project.id).where(Project.key == key.upper()))


async def counts(connection: AsyncConnection, project_id: int) -> dict[str, int]:
    """Rows of each part of the project, in one statement."""
    tables: dict[str, Any] = {
        "members": Membership,
        "statuses": Status,
        "labels": Label,
        "tasks": Task,
        "comments": Comment,
        "events": Event,
    }
    query = sa.select(
        *(
            sa.select(sa.func.count())
            .select_from(model)
            .where(model.project_id == project_id)
            .scalar_subquery()
            .label(name)
            for name, model in tables.items()
        )
    )
    row = (await connection.execute(query)).one()
    return {name: int(row._mapping[name]) for name in tables}


async def emails(connection: AsyncConnection, project_id: int) -> dict[int, str]:
    """The email of everyone the project mentions: members, people on tasks and comments,
    and everyone in its history (a member removed since is there as a member.* subject)."""
    mentioned = sa.union(
        sa.select(Membership.user_id).where(Membership.project_id == project_id),
        sa.select(Task.assignee_id).where(Task.project_id == project_id),
        sa.select(Task.reporter_id).where(Task.project_id == project_id),
        sa.select(Comment.author_id).where(Comment.project_id == project_id),
        sa.select(Event.actor_id).where(Event.project_id == project_id),
        sa.select(Event.subject_id).where(
            Event.project_id == project_id, Event.type.like("member.%")
        ),
    ).subquery()
    query = sa.select(User.id, User.email).where(User.id.in_(sa.select(mentioned.c[0])))
    return {row.id: row.email for row in await connection.execute(query)}


async def members(
    connection: AsyncConnection, project_id: int
) -> Sequence[Row[str, str, Role, datetime]]:
    query = (
        sa.select(User.email, User.name, Membership.role, Membership.created_at)
        .join(User, User.id == Membership.user_id)
        .where(Membership.project_id == project_id)
        .order_by(User.email)
    )
    return (await connection.execute(query)).all()


async def statuses(connection: AsyncConnection, project_id: int) -> Sequence[Row[Any]]:
    query = (
        sa.select(Status.__table__)
        .where(Status.project_id == project_id)
        .order_by(Status.position, Status.id)
    )
    return (await connection.execute(query)).all()


async def labels(connection: AsyncConnection, project_id: int) -> Sequence[Row[Any]]:
    query = sa.select(Label.__table__).where(Label.project_id == project_id).order_by(Label.id)
    return (await connection.execute(query)).all()


async def task_numbers(connection: AsyncConnection, project_id: int) -> dict[int, int]:
    query = sa.select(Task.id, Task.number).where(Task.project_id == project_id)
    return {row.id: row.number for row in await connection.execute(query)}


async def _batches(
    connection: AsyncConnection, query: sa.Select[Any]
) -> AsyncIterator[Sequence[Row[Any]]]:
    result = await connection.stream(query)
    async for rows in result.partitions(BATCH):
        yield rows


def tasks(
    connection: AsyncConnection, project_id: int, *, by_number: bool = False
) -> AsyncIterator[Sequence[Row[Any]]]:
    """In id order by default: an import recreates them in this order, so tasks with equal
    ranks (which the board orders by id) keep their order."""
    order = Task.number if by_number else Task.id
    query = sa.select(Task.__table__).where(Task.project_id == project_id).order_by(order)
    return _batches(connection, query)


def comments(connection: AsyncConnection, project_id: int) -> AsyncIterator[Sequence[Row[Any]]]:
    query = (
        sa.select(Comment.__table__).where(Comment.project_id == project_id).order_by(Comment.id)
    )
    return _batches(connection, query)


def events(connection: AsyncConnection, project_id: int) -> AsyncIterator[Sequence[Row[Any]]]:
    query = sa.select(Event.__table__).where(Event.project_id == project_id).order_by(Event.seq)
    return _batches(connection, query)


async def users_by_email(session: AsyncSession, emails: Collection[str]) -> dict[str, int]:
    """Account ids of the emails that have one, a statement per 500 emails."""
    wanted = sorted(set(emails))
    found: dict[str, int] = {}
    for start in range(0, len(wanted), EMAILS_PER_QUERY):
        chunk = wanted[start : start + EMAILS_PER_QUERY]
        rows = await session.execute(sa.select(User.email, User.id).where(User.email.in_(chunk)))
        found.update((email, user_id) for email, user_id in rows)
    return found


async def user(session: AsyncSession, who: int | str) -> User | None:
    """An account by id or by email."""
    if isinstance(who, int):
        return await session.get(User, who)
    return await session.scalar(sa.select(User).where(User.email == who.strip().lower()))


async def new_ids(session: AsyncSession, table: sa.Table, count: int) -> list[int]:
    """`count` unused ids for rows of `table`, ascending, in one statement. PostgreSQL takes
    them from the column's sequence (unique whatever else inserts meanwhile); SQLite, whose
    writers take turns, continues after the largest id, as its own rowids would."""
    if session.get_bind().dialect.name == "postgresql":
        sequence = sa.func.pg_get_serial_sequence(table.name, "id")
        query = sa.select(sa.func.nextval(sequence)).select_from(sa.func.generate_series(1, count))
        return sorted(int(i) for i in (await session.scalars(query)))
    top = await session.scalar(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0)))
    return list(range(int(top or 0) + 1, int(top or 0) + 1 + count))
