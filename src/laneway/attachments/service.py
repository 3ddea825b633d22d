"""Attachments of tasks. `add` and `delete` take a session, flush and never commit; `upload`
reads the file first and then writes in a short transaction of its own, so no lock (SQLite's
write lock, the project's counter row) is held while a client sends a file."""

from __future__ import annotations

from typing import IO

from sqlalchemy.ext.asyncio import AsyncSession

from laneway.activity import recorder
from laneway.attachments import repository
from laneway.attachments.access import AttachmentAccess
from laneway.attachments.schemas import AttachmentOut
from laneway.blobs import content
from laneway.blobs import store as storage
from laneway.blobs.store import AttachmentStorage, Staged
from laneway.db import Database
from laneway.errors import Forbidden, NotFound
from laneway.kit import pages
from laneway.kit.cursor import CursorCodec
from laneway.kit.jsonbytes import iso
from laneway.models import Attachment, Role
from laneway.models.base import utcnow
from laneway.models.event_payloads import AttachmentSnapshot
from laneway.projects.access import check_role
from laneway.tasks.access import TaskAccess

API_PREFIX = "/api/v1"


def out(attachment: Attachment) -> AttachmentOut:
    download = f"{API_PREFIX}/attachments/{attachment.id}"
    return AttachmentOut(
        id=attachment.id,
        task_id=attachment.task_id,
        name=attachment.name,
        media_type=attachment.media_type,
        size=attachment.size,
        sha256=attachment.sha256,
        uploaded_by=attachment.uploaded_by,
        created_at=attachment.created_at,
        download=download,
        preview=f"{download}?inline=true" if content.inline(attachment.media_type) else None,
    )


def snapshot(attachment: Attachment) -> AttachmentSnapshot:
    """What the event log keeps of an attachment: its metadata, never its bytes or URLs."""
    return {
        "id": attachment.id,
        "task_id": attachment.task_id,
        "name": attachment.name,
        "media_type": attachment.media_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "uploaded_by": attachment.uploaded_by,
        "created_at": iso(attachment.created_at),
        "project_id": attachment.project_id,
    }


async def list_attachments(
    session: AsyncSession, access: TaskAccess, codec: CursorCodec, limit: int, cursor: str | None
) -> tuple[list[Attachment], str | None]:
    task_id = access.task.id

    async def fetch(after: int | None, count: int) -> list[Attachment]:
        return await repository.page(session, task_id, after, count)

    return await pages.by_id(
        codec, f"attachments:{task_id}", cursor, limit, fetch, lambda attachment: attachment.id
    )


async def upload(
    database: Database,
    files: AttachmentStorage,
    access: TaskAccess,
    source: IO[bytes],
    filename: str | None,
) -> Attachment:
    """Read, measure and sniff the file, then add it in a write transaction of its own."""
    staged = await files.stage(source, filename)
    try:
        async with database.transaction() as session:
            return await add(session, files, access, staged)
    finally:
        staged.discard()


async def add(
    session: AsyncSession, files: AttachmentStorage, access: TaskAccess, staged: Staged
) -> Attachment:
    user = access.project.user
    # read again: the membership or the task may have gone while the file arrived
    found = await repository.task_role(session, access.task.id, user.id)
    if found is None:
        raise NotFound("No such task.")
    check_role(found[0], Role.member, writes=True, archived=found[1])
    reservation = await recorder.reserve(session, access.task.project_id)
    attachment = Attachment(
        task_id=access.task.id,
        project_id=access.task.project_id,
        uploaded_by=user.id,
        name=staged.name,
        media_type=staged.media_type,
        size=staged.size,
        sha256=staged.sha256,
        store=files.store.value,
        data=staged.data,
        created_at=utcnow(),
    )
    session.add(attachment)
    await session.flush()
    files.place(session, staged, attachment)
    await recorder.append(
        session,
        reservation,
        user.id,
        [
            recorder.Draft(
                "attachment.added", attachment.id, attachment.task_id, snapshot=snapshot(attachment)
            )
        ],
    )
    return attachment


async def delete(session: AsyncSession, access: AttachmentAccess) -> None:
    attachment = access.attachment
    if attachment.uploaded_by != access.user.id and not access.role.at_least(Role.admin):
        raise Forbidden("Only the uploader or a project admin can delete an attachment.")
    reservation = await recorder.reserve(session, attachment.project_id)
    final = snapshot(attachment)
    if not await repository.delete_one(session, attachment.id):
        raise NotFound("No such attachment.")
    storage.forget(session, attachment)
    await recorder.append(
        session,
        reservation,
        access.user.id,
        [recorder.Draft("attachment.deleted", attachment.id, attachment.task_id, snapshot=final)],
    )
