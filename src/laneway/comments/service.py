"""Comments on tasks. Takes a session, flushes, never commits."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from laneway.activity import recorder
from laneway.comments import repository
from laneway.comments.access import CommentAccess
from laneway.errors import Forbidden
from laneway.kit import pages
from laneway.kit.cursor import CursorCodec
from laneway.kit.jsonbytes import iso
from laneway.models import Comment, Role
from laneway.models.base import utcnow
from laneway.models.event_payloads import CommentSnapshot
from laneway.tasks.access import TaskAccess


def snapshot(comment: Comment) -> CommentSnapshot:
    return {
        "id": comment.id,
        "task_id": comment.task_id,
        "author_id": comment.author_id,
        "body": comment.body,
        "created_at": iso(comment.created_at),
        "updated_at": iso(comment.updated_at),
    }


async def list_comments(
    session: AsyncSession, access: TaskAccess, codec: CursorCodec, limit: int, cursor: str | None
) -> tuple[list[Comment], str | None]:
    task_id = access.task.id

    async def fetch(after: int | None, count: int) -> list[Comment]:
        return await repository.of_task(session, task_id, after=after, limit=count)

    return await pages.by_id(
        codec, f"comments:{task_id}", cursor, limit, fetch, lambda comment: comment.id
    )


async def add_comment(session: AsyncSession, access: TaskAccess, body: str) -> Comment:
    project_id = access.task.project_id
    reservation = await recorder.reserve(session, project_id)
    now = utcnow()
    comment = Comment(
        task_id=access.task.id,
        project_id=project_id,
        author_id=access.project.user.id,
        body=body,
        created_at=now,
        updated_at=now,
    )
    session.add(comment)
    await session.flush()
    await recorder.append(
        session,
        reservation,
        access.project.user.id,
        [
            recorder.Draft(
                "comment.created", comment.id, comment.task_id, snapshot=snapshot(comment)
            )
        ],
    )
    return comment


async def edit_comment(session: AsyncSession, access: CommentAccess, body: str) -> Comment:
    comment = access.comment
    if comment.author_id != access.user.id:
        raise Forbidden("Only the author can edit a comment.")
    reservation = await recorder.reserve(session, comment.project_id)
    before = comment.body
    comment.body, comment.updated_at = body, utcnow()
    await session.flush()
    await recorder.append(
        session,
        reservation,
        access.user.id,
        [
            recorder.Draft(
                "comment.updated",
                comment.id,
                comment.task_id,
                changes={"body": [before, body]},
                snapshot=snapshot(comment),
            )
        ],
    )
    return comment


async def delete_comment(session: AsyncSession, access: CommentAccess) -> None:
    comment = access.comment
    if comment.author_id != access.user.id and not access.role.at_least(Role.admin):
        raise Forbidden("Only the author or a project admin can delete a comment.")
    reservation = await recorder.reserve(session, comment.project_id)
    final = snapshot(comment)
    await repository.delete_one(session, comment.id)
    await recorder.append(
        session,
        reservation,
        access.user.id,
        [recorder.Draft("comment.deleted", comment.id, comment.task_id, snapshot=final)],
    )
