"""An event as the API shows it: one schema per family of types, a union discriminated on
`type`, so a client generated from the OpenAPI document knows each event's payloads."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Generic

from pydantic import Field, TypeAdapter
from typing_extensions import TypeAliasType

from laneway.kit.schemas import ResponseModel, Stated
from laneway.models.event_payloads import (
    AttachmentSnapshot,
    ChangesT,
    CommentChanges,
    CommentSnapshot,
    LabelChanges,
    LabelSnapshot,
    MemberChanges,
    MemberSnapshot,
    NoChanges,
    ProjectChanges,
    ProjectSnapshot,
    SnapshotT,
    StatusChanges,
    StatusSnapshot,
    TaskChanges,
    TaskSnapshot,
    TypeT,
)
from laneway.models.event_types import (
    AttachmentEventType,
    CommentEventType,
    LabelEventType,
    MemberEventType,
    ProjectEventType,
    StatusEventType,
    TaskEventType,
)

_CHANGES = "Each field that changed: [before, after]."
_SNAPSHOT = "The object after the change (as it was, for a deletion)."


class _EventOut(ResponseModel, Generic[TypeT, ChangesT, SnapshotT]):
    """What every event has; each family gives `type`, `changes` and `snapshot` their types
    (the same triple as its `event_payloads.Payload`)."""

    seq: int = Field(description="Contiguous per project, in commit order.")
    type: TypeT
    actor_id: int | None
    subject_id: int
    task_id: int | None
    changes: Annotated[ChangesT, Stated()] = Field(description=_CHANGES)
    snapshot: Annotated[SnapshotT | None, Stated()] = Field(description=_SNAPSHOT)
    created_at: datetime


# A class per family, not one built in a loop: the OpenAPI document names each schema after
# its class, and mypy sees the union's members only when they are written out.
class ProjectEventOut(_EventOut[ProjectEventType, ProjectChanges, ProjectSnapshot]): ...


class MemberEventOut(_EventOut[MemberEventType, MemberChanges, MemberSnapshot]): ...


class StatusEventOut(_EventOut[StatusEventType, StatusChanges, StatusSnapshot]): ...


class LabelEventOut(_EventOut[LabelEventType, LabelChanges, LabelSnapshot]): ...


class TaskEventOut(_EventOut[TaskEventType, TaskChanges, TaskSnapshot]): ...


class CommentEventOut(_EventOut[CommentEventType, CommentChanges, CommentSnapshot]): ...


class AttachmentEventOut(_EventOut[AttachmentEventType, NoChanges, AttachmentSnapshot]):
    changes: Annotated[NoChanges, Stated()]  # always {}: no field changed to describe


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
