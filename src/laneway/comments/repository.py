"""Every query of comments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from laneway.models import Comment, Membership, Project, Role


async def with_role(
    session: AsyncSession, comment_id: int, user_id: int
) -> tuple[Comment, Role, datetime | None] | None:
    """The comment, my role in its project and whether that is archived, in one query; None
    if it does not exist or I am no member."""
    row = (
        await session.execute(
            select(Comment, Membership.role, Project.archived_at)
            .join(Project, Project.id == Comment.project_id)
            .join(
                Membership,
                (Membership.project_id == Comment.project_id) & (Membership.user_id == user_id),
            )
            .where(Comment.id == comment_id)
        )
    ).first()
    return None if row is None else (row[0], row[1], row[2])


async def of_task(
    session: AsyncSession, task_id: int, *, after: int | None, limit: int
) -> list[Comment]:
    """The task's comments with ids above `after`, oldest first, at most `limit`."""
    query = select(Comment).where(Comment.task_id == task_id)
    if after is not None:
        query = query.where(Comment.id > after)
    return list(await session.scalars(query.order_by(Comment.id).limit(limit)))


async def delete_one(session: AsyncSession, comment_id: int) -> None:
    await session.execute(delete(Comment).where(Comment.id == comment_id))
