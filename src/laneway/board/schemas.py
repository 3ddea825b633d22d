from __future__ import annotations

from pydantic import Field

from laneway.kit.schemas import ResponseModel
from laneway.labels.schemas import LabelOut
from laneway.statuses.schemas import StatusOut
from laneway.tasks.schemas import TaskOut


class BoardUser(ResponseModel):
    id: int
    name: str


class Column(StatusOut):
    tasks: list[TaskOut] = Field(description="The column's first page, in rank order.")
    next_cursor: str | None = Field(
        description="More of this column: GET .../tasks?status=<id>&sort=rank&cursor=<this>."
    )


class BoardOut(ResponseModel):
    project_id: int
    key: str
    seq: int = Field(
        description="The project's last event in this board: follow the live stream from here."
    )
    columns: list[Column]
    labels: list[LabelOut]
    users: list[BoardUser] = Field(description="Assignees and reporters of the tasks shown.")
