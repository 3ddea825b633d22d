from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from laneway.comments import service
from laneway.comments.access import CommentWriter
from laneway.comments.schemas import CommentIn, CommentOut, CommentPage
from laneway.db import SessionDep, writes
from laneway.errors import responses
from laneway.idempotency import IdempotencyDep
from laneway.kit.cursor import CursorsDep
from laneway.kit.schemas import Text
from laneway.tasks.access import TaskMember, TaskViewer

router = APIRouter(tags=["comments"])


@router.get(
    "/tasks/{task_id}/comments",
    response_model=CommentPage,
    operation_id="list_comments",
    responses=responses(401, 404, 422),
)
async def list_comments(
    access: TaskViewer,
    session: SessionDep,
    cursors: CursorsDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[Text | None, Query(max_length=500)] = None,
) -> CommentPage:
    comments, next_cursor = await service.list_comments(session, access, cursors, limit, cursor)
    return CommentPage(
        items=[CommentOut.model_validate(c) for c in comments], next_cursor=next_cursor
    )


@router.post(
    "/tasks/{task_id}/comments",
    status_code=status.HTTP_201_CREATED,
    response_model=CommentOut,
    operation_id="create_comment",
    responses=responses(400, 401, 403, 404, 409, 413, 422),
)
@writes
async def create_comment(
    body: CommentIn, access: TaskMember, session: SessionDep, idempotency: IdempotencyDep
) -> Response:
    return await idempotency.once(
        201, lambda: service.add_comment(session, access, body.body), CommentOut.model_validate
    )


@router.patch(
    "/comments/{comment_id}",
    response_model=CommentOut,
    operation_id="update_comment",
    responses=responses(400, 401, 403, 404, 409, 413, 422),
)
@writes
async def update_comment(body: CommentIn, access: CommentWriter, session: SessionDep) -> CommentOut:
    comment = await service.edit_comment(session, access, body.body)
    return CommentOut.model_validate(comment)


@router.delete(
    "/comments/{comment_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="delete_comment",
    responses=responses(401, 403, 404, 409, 422),
)
@writes
async def delete_comment(access: CommentWriter, session: SessionDep) -> Response:
    await service.delete_comment(session, access)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
