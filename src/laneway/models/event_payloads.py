"""What an event's `changes` and `snapshot` hold, per family of event types.

`snapshot` is the object after the change (as it was, for a deletion), the fields the API
shows; `changes` maps each field that changed to [before, after]. Values are the JSON the log
stores: times and dates as ISO strings. The recorder pairs each type with its family's payloads
(`recorder.Draft`), the API states them (activity/schemas.py), and the web client's types are
generated from that statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Generic, Literal, TypeVar, cast

from annotated_types import Len
from typing_extensions import TypedDict

from laneway.models.event_types import (
    AttachmentEventType,
    CommentEventType,
    EventType,
    LabelEventType,
    MemberEventType,
    ProjectEventType,
    StatusEventType,
    TaskEventType,
)
from laneway.models.membership import Role
from laneway.models.status import StatusCategory

T = TypeVar("T")
Change = Annotated[list[T], Len(2, 2)]
"""[before, after]"""

# tasks/schemas.PriorityName's values: the names of models.Priority
TaskPriority = Literal["none", "low", "medium", "high", "urgent"]


class ProjectSnapshot(TypedDict):
    id: int
    key: str
    name: str
    description: str
    archived_at: str | None


class ProjectChanges(TypedDict, total=False):
    name: Change[str]
    description: Change[str]
    archived_at: Change[str | None]


class MemberSnapshot(TypedDict):
    user_id: int
    role: Role


class MemberChanges(TypedDict, total=False):
    role: Change[Role]


class StatusSnapshot(TypedDict):
    id: int
    project_id: int
    name: str
    category: StatusCategory
    position: int
    wip_limit: int | None


class StatusChanges(TypedDict, total=False):
    name: Change[str]
    category: Change[StatusCategory]
    position: Change[int]
    wip_limit: Change[int | None]
    # when positions moved: [null, the project's status ids in their new order]
    order: Change[list[int] | None]
    # status.rebalanced: the column's tasks, each with its new rank (and a new version)
    ranks: dict[str, str]


class LabelSnapshot(TypedDict):
    id: int
    project_id: int
    name: str
    color: str


class LabelChanges(TypedDict, total=False):
    name: Change[str]
    color: Change[str]


class TaskSnapshot(TypedDict):
    id: int
    project_id: int
    number: str
    title: str
    description: str
    status_id: int
    assignee_id: int | None
    reporter_id: int
    priority: TaskPriority
    labels: list[int]
    due_date: str | None
    estimate: int | None
    parent_id: int | None
    rank: str
    archived_at: str | None
    version: int
    created_at: str
    updated_at: str


class TaskChanges(TypedDict, total=False):
    title: Change[str]
    description: Change[str]
    status_id: Change[int]
    assignee_id: Change[int | None]
    priority: Change[TaskPriority]
    labels: Change[list[int]]
    due_date: Change[str | None]
    estimate: Change[int | None]
    parent_id: Change[int | None]
    rank: Change[str]
    archived_at: Change[str | None]


class CommentSnapshot(TypedDict):
    id: int
    task_id: int
    author_id: int
    body: str
    created_at: str
    updated_at: str


class CommentChanges(TypedDict, total=False):
    body: Change[str]


class AttachmentSnapshot(TypedDict):
    id: int
    task_id: int
    name: str
    media_type: str
    size: int
    sha256: str
    uploaded_by: int | None
    created_at: str
    project_id: int


class NoChanges(TypedDict):
    """Of an event that adds or removes its subject as a whole."""


EventChanges = (
    ProjectChanges
    | MemberChanges
    | StatusChanges
    | LabelChanges
    | TaskChanges
    | CommentChanges
    | NoChanges
)
EventSnapshot = (
    ProjectSnapshot
    | MemberSnapshot
    | StatusSnapshot
    | LabelSnapshot
    | TaskSnapshot
    | CommentSnapshot
    | AttachmentSnapshot
)

TypeT = TypeVar("TypeT", bound=str)
ChangesT = TypeVar("ChangesT")
SnapshotT = TypeVar("SnapshotT")


@dataclass(frozen=True, slots=True)
class Payload(Generic[TypeT, ChangesT, SnapshotT]):
    """An event's type with its payloads: a union of these narrows on `type`."""

    type: TypeT
    changes: ChangesT
    snapshot: SnapshotT | None


ProjectPayload = Payload[ProjectEventType, ProjectChanges, ProjectSnapshot]
MemberPayload = Payload[MemberEventType, MemberChanges, MemberSnapshot]
StatusPayload = Payload[StatusEventType, StatusChanges, StatusSnapshot]
LabelPayload = Payload[LabelEventType, LabelChanges, LabelSnapshot]
TaskPayload = Payload[TaskEventType, TaskChanges, TaskSnapshot]
CommentPayload = Payload[CommentEventType, CommentChanges, CommentSnapshot]
AttachmentPayload = Payload[AttachmentEventType, NoChanges, AttachmentSnapshot]
AnyPayload = (
    ProjectPayload
    | MemberPayload
    | StatusPayload
    | LabelPayload
    | TaskPayload
    | CommentPayload
    | AttachmentPayload
)


def payload(type: EventType, changes: EventChanges, snapshot: EventSnapshot | None) -> AnyPayload:
    """One logged event's columns, tagged by its type. The columns are paired as written:
    `recorder.Draft` accepts only a type with its own family's payloads."""
    return cast("AnyPayload", Payload(type, changes, snapshot))
