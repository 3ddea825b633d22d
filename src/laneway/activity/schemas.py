"""An event as the API shows it: one schema per family of types, a union discriminated on
`type`, so a client generated from the OpenAPI document knows each event's payloads."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, TypeAdapter
from typing_extensions import TypeAliasType

from laneway.kit.schemas import ResponseModel, Stated
from laneway.models.event_payloads import (
    AttachmentSnapshot,
    CommentChanges,
    CommentSnapshot,
    EventChanges,
    EventSnapshot,
    LabelChanges,
    LabelSnapshot,
    MemberChanges,
    MemberSnapshot,
    NoChanges,
    ProjectChanges,
    ProjectSnapshot,
    StatusChanges,
    StatusSnapshot,
    TaskChanges,
    TaskSnapshot,
)
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

_CHANGES = "Each field that changed: [before, after]."
_SNAPSHOT = "The object after the change (as it was, for a deletion)."


class _EventOut(ResponseModel):
    """What every event has; each family narrows `type`, `changes` and `snapshot`."""

    seq: int = Field(description="Contiguous per project, in commit order.")
    type: EventType
    actor_id: int | None
    subject_id: int
    task_id: int | None
    changes: Annotated[EventChanges, Stated()]
    snapshot: Annotated[EventSnapshot | None, Stated()]
    created_at: datetime


class ProjectEventOut(_EventOut):
    type: ProjectEventType
    changes: Annotated[ProjectChanges, Stated()] = Field(description=_CHANGES)
    snapshot: Annotated[ProjectSnapshot | None, Stated()] = Field(description=_SNAPSHOT)


class MemberEventOut(_EventOut):
    type: MemberEventType
    changes: Annotated[MemberChanges, Stated()] = Field(description=_CHANGES)
    snapshot: Annotated[MemberSnapshot | None, Stated()] = Field(description=_SNAPSHOT)


class StatusEventOut(_EventOut):
    type: StatusEventType
    changes: Annotated[StatusChanges, Stated()] = Field(description=_CHANGES)
    snapshot: Annotated[StatusSnapshot | None, Stated()] = Field(description=_SNAPSHOT)


class LabelEventOut(_EventOut):
    type: LabelEventType
    changes: Annotated[LabelChanges, Stated()] = Field(description=_CHANGES)
    snapshot: Annotated[LabelSnapshot | None, Stated()] = Field(description=_SNAPSHOT)


class TaskEventOut(_EventOut):
    type: TaskEventType
    changes: Annotated[TaskChanges, Stated()] = Field(description=_CHANGES)
    snapshot: Annotated[TaskSnapshot | None, Stated()] = Field(description=_SNAPSHOT)


class CommentEventOut(_EventOut):
    type: CommentEventType
    changes: Annotated[CommentChanges, Stated()] = Field(description=_CHANGES)
    snapshot: Annotated[CommentSnapshot | None, Stated()] = Field(description=_SNAPSHOT)


class AttachmentEventOut(_EventOut):
    type: AttachmentEventType
    changes: Annotated[NoChanges, Stated()]
    snapshot: Annotated[AttachmentSnapshot | None, Stated()] = Field(description=_SNAPSHOT)


AnyEventOut = (
    ProjectEventOut
    | MemberEventOut
    | StatusEventOut
    | LabelEventOut
    | TaskEventOut
    | CommentEventOut
    | AttachmentEventOut
)
EventOut = TypeAliasType("EventOut", Annotated[AnyEventOut, Field(discriminator="type")])
"""One logged event: the activity log's item, a webhook's `data`, a live message."""
EVENT_OUT = TypeAdapter(EventOut)


class EventPage(ResponseModel):
    items: list[EventOut]
    next_after: int | None = Field(description="Pass as `after` for the next page.")
