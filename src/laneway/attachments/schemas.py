from __future__ import annotations

from datetime import datetime

from pydantic import Field

from laneway.kit.schemas import ResponseModel


class AttachmentOut(ResponseModel):
    id: int
    task_id: int
    name: str = Field(description="The uploaded file's name, cleaned (no path, no controls).")
    media_type: str = Field(description="Sniffed from the bytes; the client's is ignored.")
    size: int = Field(description="In bytes.")
    sha256: str
    uploaded_by: int | None = Field(description="None once the account is deleted.")
    created_at: datetime
    download: str = Field(description="GET it for the file (as an attachment to save).")
    preview: str | None = Field(
        description="For PNG, JPEG, GIF and WebP images: the file to show inline; else null."
    )


class AttachmentPage(ResponseModel):
    items: list[AttachmentOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page.")
