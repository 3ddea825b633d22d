"""Every query about attachments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from laneway.models import Attachment, Membership, Project, Role, Task
from laneway.projects import repository as project_repository


async def delete_one(session: AsyncSession, attachment_id: int) -> bool:
    """Whether it was there to delete (someone else may have deleted it meanwhile)."""
    result = await session.execute(
        delete(Attachment).where(Attachment.id == attachment_id).returning(Attachment.id)
    )
    return result.first() is not None


async def with_role(
    session: AsyncSession, attachment_id: int, user_id: int, *, data: bool
) -> tuple[Attachment, Role, datetime | None] | None:
    """The attachment (with its bytes, if asked and in the database), my role in its project
    and whether that is archived, in one query; None if it does not exist or I am no member."""
    options = (undefer(Attachment.data),) if data else ()
    return await project_repository.row_with_role(
        session, Attachment, attachment_id, user_id, *options
    )


async def task_role(
    session: AsyncSession, task_id: int, user_id: int
) -> tuple[Role, datetime | None] | None:
    """My role in the task's project and whether that is archived, read again in the write
    transaction of an upload (the client may have sent the file for minutes)."""
    row = (
        await session.execute(
            select(Membership.role, Project.archived_at)
            .select_from(Task)
            .join(Project, Project.id == Task.project_id)
            .join(
                Membership,
                (Membership.project_id == Task.project_id) & (Membership.user_id == user_id),
            )
            .where(Task.id == task_id)
            # PostgreSQL: the task cannot be deleted before this transaction ends
            .with_for_update(read=True, key_share=True, of=Task)
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def page(
    session: AsyncSession, task_id: int, after_id: int | None, limit: int
) -> list[Attachment]:
    """Up to `limit` of the task's attachments after `after_id`, oldest first."""
    query = select(Attachment).where(Attachment.task_id == task_id)
    if after_id is not None:
        query = query.where(Attachment.id > after_id)
    return list(await session.scalars(query.order_by(Attachment.id).limit(limit)))
