from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.base import ExecutableOption

from laneway.models import (
    Attachment,
    Comment,
    Membership,
    Project,
    ProjectCounter,
    Role,
    StatusCount,
    User,
    Webhook,
)

# The tables whose rows each belong to one project and are reached by their own id. Listed, not
# a protocol of `id` and `project_id`: mypy does not match a model's mapped columns to one.
Owned = TypeVar("Owned", Attachment, Comment, Webhook)


async def project_with_role(
    session: AsyncSession, project_id: int, user_id: int
) -> tuple[Project, Role] | None:
    row = (
        await session.execute(
            select(Project, Membership.role)
            .join(Membership, Membership.project_id == Project.id)
            .where(Project.id == project_id, Membership.user_id == user_id)
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def row_with_role(
    session: AsyncSession,
    table: type[Owned],
    row_id: int,
    user_id: int,
    *options: ExecutableOption,
) -> tuple[Owned, Role, datetime | None] | None:
    """A row of a project-owned table, my role in its project and the project's archived_at,
    in one query; None if the row does not exist or I am no member. `options`: loader options
    for the row (its deferred columns, say)."""
    row = (
        await session.execute(
            select(table, Membership.role, Project.archived_at)
            .join(Project, Project.id == table.project_id)
            .join(
                Membership,
                (Membership.project_id == table.project_id) & (Membership.user_id == user_id),
            )
            .where(table.id == row_id)
            .options(*options)
        )
    ).first()
    return None if row is None else (row[0], row[1], row[2])


async def projects_of(
    session: AsyncSession, user_id: int, *, include_archived: bool
) -> Sequence[tuple[Project, Role]]:
    query = (
        select(Project, Membership.role)
        .join(Membership, Membership.project_id == Project.id)
        .where(Membership.user_id == user_id)
        .order_by(Project.name, Project.id)
    )
    if not include_archived:
        query = query.where(Project.archived_at.is_(None))
    return [(project, role) for project, role in (await session.execute(query))]


async def key_taken(session: AsyncSession, key: str) -> bool:
    return (await session.scalar(select(func.count()).where(Project.key == key))) != 0


async def keys_like(session: AsyncSession, stem: str) -> set[str]:
    result = await session.scalars(select(Project.key).where(Project.key.like(f"{stem}%")))
    return set(result.all())


async def members(session: AsyncSession, project_id: int) -> Sequence[tuple[Membership, User]]:
    query = (
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.project_id == project_id)
        .order_by(User.name, User.id)
    )
    return [(membership, user) for membership, user in await session.execute(query)]


async def member(
    session: AsyncSession, project_id: int, user_id: int
) -> tuple[Membership, User] | None:
    row = (
        await session.execute(
            select(Membership, User)
            .join(User, User.id == Membership.user_id)
            .where(Membership.project_id == project_id, Membership.user_id == user_id)
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def lock_owners(session: AsyncSession, project_id: int) -> Sequence[int]:
    """Owner ids, locked so two concurrent demotions cannot leave a project without an owner."""
    result = await session.scalars(
        select(Membership.user_id)
        .where(Membership.project_id == project_id, Membership.role == Role.owner)
        .with_for_update()
    )
    return result.all()


async def add_counter(session: AsyncSession, project_id: int) -> None:
    """A new project's counter row: no task or event numbered yet."""
    await session.execute(
        insert(ProjectCounter).values(project_id=project_id, task_seq=0, event_seq=0)
    )


async def add_counts(session: AsyncSession, project_id: int, status_ids: Sequence[int]) -> None:
    await session.execute(
        insert(StatusCount),
        [{"project_id": project_id, "status_id": i, "count": 0} for i in status_ids],
    )
