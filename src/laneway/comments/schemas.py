from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from laneway.kit.schemas import RequestModel, ResponseModel, Text

Body = Annotated[Text, StringConstraints(min_length=1, max_length=50_000)]


class CommentIn(RequestModel):
    body: Body


class CommentOut(ResponseModel):
    id: int
    task_id: int
    author_id: int
    body: str
    created_at: datetime
    updated_at: datetime


class CommentPage(ResponseModel):
    items: list[CommentOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page.")
