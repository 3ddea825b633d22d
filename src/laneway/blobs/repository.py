"""Which attachments are kept as files: what the store removes with a task, and what the
housekeeping checks a file against."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from laneway.config import AttachmentStore
from laneway.models import Attachment


async def stored_as_files(session: AsyncSession, task_id: int) -> Sequence[tuple[int, datetime]]:
    """(id, created_at) of the task's attachments kept as files."""
    rows = await session.execute(
        select(Attachment.id, Attachment.created_at).where(
            Attachment.task_id == task_id, Attachment.store == AttachmentStore.files.value
        )
    )
    return [(row[0], row[1]) for row in rows]


async def files_among(
    session: AsyncSession, ids: Collection[int]
) -> Sequence[tuple[int, datetime]]:
    """(id, created_at) of those attachments that exist and are kept as files."""
    rows = await session.execute(
        select(Attachment.id, Attachment.created_at).where(
            Attachment.id.in_(ids), Attachment.store == AttachmentStore.files.value
        )
    )
    return [(row[0], row[1]) for row in rows]
