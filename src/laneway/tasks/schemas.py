from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, get_args

from pydantic import Field, StringConstraints, model_validator

from laneway.kit.jsonbytes import iso
from laneway.kit.schemas import ONE_LINE, Id, IsoDate, RequestModel, ResponseModel, Text
from laneway.models import Priority, Task
from laneway.models.event_payloads import TaskPriority, TaskSnapshot


class PriorityName(StrEnum):
    none = "none"
    low = "low"
    medium = "medium"
    high = "high"
    urgent = "urgent"

    @property
    def level(self) -> int:
        return int(Priority[self.value])

    @classmethod
    def of(cls, level: int) -> PriorityName:
        return cls(Priority(level).name)


_PRIORITY_NAMES: dict[int, TaskPriority] = {
    Priority[name].value: name for name in get_args(TaskPriority)
}

Title = Annotated[Text, StringConstraints(min_length=1, max_length=500), ONE_LINE]
Description = Annotated[Text, StringConstraints(max_length=100_000)]
MAX_LABELS = 50  # on one task
LabelIds = Annotated[list[Id], Field(max_length=MAX_LABELS)]
PriorityIn = Annotated[PriorityName, Field(strict=False)]
Estimate = Annotated[int, Field(ge=0, le=1_000_000)]


class TaskCreateIn(RequestModel):
    title: Title
    description: Description = ""
    status_id: Id | None = None
    assignee_id: Id | None = None
    priority: PriorityIn = PriorityName.none
    labels: LabelIds = Field(default_factory=list)
    due_date: IsoDate | None = None
    estimate: Estimate | None = None
    parent_id: Id | None = None


class TaskUpdateIn(RequestModel):
    """Only the fields present change; send null to clear an optional field."""

    title: Title | None = None
    description: Description | None = None
    status_id: Id | None = None
    assignee_id: Id | None = None
    priority: PriorityIn | None = None
    labels: LabelIds | None = None
    due_date: IsoDate | None = None
    estimate: Estimate | None = None
    parent_id: Id | None = None
    archived: bool | None = None


class TaskMoveIn(RequestModel):
    status_id: Id
    after_id: Id | None = Field(default=None, description="Place right after this task.")
    before_id: Id | None = Field(default=None, description="Place right before this task.")


class TaskOut(ResponseModel):
    id: int
    project_id: int
    number: str = Field(examples=["WEB-42"])
    title: str
    description: str
    status_id: int
    assignee_id: int | None
    reporter_id: int
    priority: PriorityName
    labels: list[int]
    due_date: date | None
    estimate: int | None
    parent_id: int | None
    rank: str
    archived_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


def task_json(task: Any, project_key: str) -> TaskSnapshot:
    """A task (an ORM object or a row with the same columns) as TaskOut's JSON, built directly:
    the board and lists serialize hundreds of these per request."""
    return {
        "id": task.id,
        "project_id": task.project_id,
        "number": f"{project_key}-{task.number}",
        "title": task.title,
        "description": task.description,
        "status_id": task.status_id,
        "assignee_id": task.assignee_id,
        "reporter_id": task.reporter_id,
        "priority": _PRIORITY_NAMES[task.priority],
        "labels": list(task.label_ids),
        "due_date": iso(task.due_date),
        "estimate": task.estimate,
        "parent_id": task.parent_id,
        "rank": task.rank,
        "archived_at": iso(task.archived_at),
        "version": task.version,
        "created_at": iso(task.created_at),
        "updated_at": iso(task.updated_at),
    }


def snapshot(task: Task, project_key: str) -> TaskSnapshot:
    return task_json(task, project_key)


class TaskPage(ResponseModel):
    items: list[TaskOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page.")


class StatusCount(ResponseModel):
    status_id: Id
    count: int = Field(description="Tasks in this status that match the filters.")


class TaskCounts(ResponseModel):
    items: list[StatusCount] = Field(
        description="Each status with at least one matching task, in no particular order."
    )
    total: int = Field(description="Matching tasks in all statuses.")


class _Bulk(RequestModel):
    """What every action takes. Each action's own fields are required where it needs them; it
    accepts the other actions' fields too and ignores them, as when one body held them all."""

    task_ids: Annotated[list[Id], Field(min_length=1, max_length=500)]
    status_id: Id | None = None
    assignee_id: Id | None = None
    add_labels: LabelIds = Field(default_factory=list)
    remove_labels: LabelIds = Field(default_factory=list)


class BulkMove(_Bulk):
    """To the end of the status, in id order; tasks already there or archived stay put."""

    action: Literal["move"]
    status_id: Id


class BulkAssign(_Bulk):
    action: Literal["assign"]
    assignee_id: Id | None = Field(description="A member, or null to unassign.")


class BulkLabel(_Bulk):
    action: Literal["label"]

    @model_validator(mode="after")
    def _changes_labels(self) -> BulkLabel:
        if not (self.add_labels or self.remove_labels):
            raise ValueError("add_labels or remove_labels is required for action label")
        return self


class BulkArchive(_Bulk):
    action: Literal["archive"]


class BulkRestore(_Bulk):
    action: Literal["restore"]


BulkIn = Annotated[
    BulkMove | BulkAssign | BulkLabel | BulkArchive | BulkRestore,
    Field(discriminator="action"),
]


class BulkOut(ResponseModel):
    updated: int
    items: list[TaskOut]
