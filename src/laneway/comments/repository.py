"""Every query of comments but the one access makes (a comment with my role in its project:
projects/repository.py, shared with the other tables projects own)."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from laneway.models import Comment


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
