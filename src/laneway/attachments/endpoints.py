"""Attachments over the API. An upload is `multipart/form-data` with one part, `file`, read only
once the caller is known to be a member (a stranger's body is never read); up to
LANEWAY_ATTACHMENTS_MAX_BYTES. Downloads are always `attachment`s with `nosniff`, except raster
images asked for `?inline=true`, and every one is sandboxed by its Content-Security-Policy."""

from __future__ import annotations

import os
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import StreamingResponse
from starlette.datastructures import UploadFile

from laneway.attachments import service
from laneway.attachments.access import AttachmentReader, AttachmentWriter
from laneway.attachments.schemas import AttachmentOut, AttachmentPage
from laneway.blobs import content
from laneway.blobs import store as storage
from laneway.blobs.store import AttachmentStorageDep
from laneway.config import AttachmentStore
from laneway.db import DatabaseDep, SessionDep, reads_only, release, writes
from laneway.errors import FieldError, NotFound, UnprocessableContent, responses
from laneway.kit.cursor import CursorsDep
from laneway.kit.schemas import Text
from laneway.tasks.access import TaskMember, TaskViewer

router = APIRouter(tags=["attachments"])

SANDBOX = "default-src 'none'; sandbox"

_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "The file; its name is kept (cleaned), its type "
                            "is read from its bytes.",
                        }
                    },
                    "required": ["file"],
                    "additionalProperties": False,
                }
            }
        },
    }
}


@router.get(
    "/tasks/{task_id}/attachments",
    response_model=AttachmentPage,
    operation_id="list_attachments",
    responses=responses(401, 404, 422),
)
async def list_attachments(
    access: TaskViewer,
    session: SessionDep,
    cursors: CursorsDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[Text | None, Query(max_length=500)] = None,
) -> AttachmentPage:
    """The task's attachments, oldest first."""
    found, next_cursor = await service.list_attachments(session, access, cursors, limit, cursor)
    return AttachmentPage(items=[service.out(a) for a in found], next_cursor=next_cursor)


@router.post(
    "/tasks/{task_id}/attachments",
    status_code=status.HTTP_201_CREATED,
    response_model=AttachmentOut,
    operation_id="upload_attachment",
    responses=responses(400, 401, 403, 404, 409, 413, 422, 503),
    openapi_extra=_UPLOAD_BODY,
)
@reads_only
async def upload_attachment(
    request: Request,
    access: TaskMember,
    session: SessionDep,
    database: DatabaseDep,
    attachments: AttachmentStorageDep,
    response: Response,
) -> AttachmentOut:
    """Attach a file to the task (members). Not idempotent: a retry adds a second copy, which
    its uploader may delete."""
    await release(session)  # read only: its connection is not held while the file arrives
    async with request.form(max_files=1, max_fields=0) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise UnprocessableContent(
                "Send the file as the multipart/form-data part `file`.",
                errors=[FieldError(loc=["body", "file"], msg="Field required", type="missing")],
            )
        attachment = await service.upload(
            database, attachments, access, upload.file, upload.filename
        )
    response.headers["Location"] = f"/api/v1/attachments/{attachment.id}"
    return service.out(attachment)


@router.get(
    "/attachments/{attachment_id}",
    operation_id="download_attachment",
    response_class=Response,
    responses={
        200: {
            "description": "The file, as the media type its bytes showed.",
            "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
        },
        **responses(401, 404, 422),
    },
)
async def download_attachment(
    access: AttachmentReader,
    attachments: AttachmentStorageDep,
    inline: Annotated[
        bool,
        Query(
            description="Show a PNG, JPEG, GIF or WebP image inline (a preview); other "
            "files are downloaded all the same."
        ),
    ] = False,
) -> Response:
    """The file. Viewers may read."""
    attachment = access.attachment
    headers = {
        "Content-Disposition": content.content_disposition(
            attachment.name, as_inline=inline and content.inline(attachment.media_type)
        ),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": SANDBOX,
    }
    if attachment.store == AttachmentStore.database:
        return Response(attachment.data or b"", media_type=attachment.media_type, headers=headers)
    file = await attachments.open(attachment)
    if file is None:
        raise NotFound("The attachment's file is missing.")
    headers["Content-Length"] = str(os.fstat(file.fileno()).st_size)
    return StreamingResponse(
        storage.chunks(file), media_type=attachment.media_type, headers=headers
    )


@router.delete(
    "/attachments/{attachment_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="delete_attachment",
    responses=responses(401, 403, 404, 409, 422),
)
@writes
async def delete_attachment(access: AttachmentWriter, session: SessionDep) -> Response:
    """Delete an attachment: its uploader, or a project admin or owner."""
    await service.delete(session, access)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
