"""Append to a project's event log in the caller's transaction.

Every write first reserves its sequence numbers (and task numbers) by incrementing the
project's counter row; see ProjectCounter for why this one lock orders the project's writers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, overload

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from laneway.commits import RecordedEvent, pending
from laneway.errors import NotFound
from laneway.models import Event, ProjectCounter
from laneway.models.base import utcnow
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


@dataclass(frozen=True, slots=True)
class Reservation:
    project_id: int
    first_seq: int
    count: int
    first_number: int


@dataclass(init=False, slots=True)
class Draft:
    """One event to append. Each family of types comes with its own payloads (the overloads),
    so a type paired with another family's changes or snapshot fails the type check."""

    type: EventType
    subject_id: int
    task_id: int | None
    changes: EventChanges
    snapshot: EventSnapshot | None

    @overload
    def __init__(
        self,
        type: ProjectEventType,
        subject_id: int,
        task_id: None = None,
        changes: ProjectChanges = ...,
        snapshot: ProjectSnapshot | None = None,
    ) -> None: ...
    @overload
    def __init__(
        self,
        type: MemberEventType,
        subject_id: int,
        task_id: None = None,
        changes: MemberChanges = ...,
        snapshot: MemberSnapshot | None = None,
    ) -> None: ...
    @overload
    def __init__(
        self,
        type: StatusEventType,
        subject_id: int,
        task_id: None = None,
        changes: StatusChanges = ...,
        snapshot: StatusSnapshot | None = None,
    ) -> None: ...
    @overload
    def __init__(
        self,
        type: LabelEventType,
        subject_id: int,
        task_id: None = None,
        changes: LabelChanges = ...,
        snapshot: LabelSnapshot | None = None,
    ) -> None: ...
    @overload
    def __init__(
        self,
        type: TaskEventType,
        subject_id: int,
        task_id: int | None = None,
        changes: TaskChanges = ...,
        snapshot: TaskSnapshot | None = None,
    ) -> None: ...
    @overload
    def __init__(
        self,
        type: CommentEventType,
        subject_id: int,
        task_id: int | None = None,
        changes: CommentChanges = ...,
        snapshot: CommentSnapshot | None = None,
    ) -> None: ...
    @overload
    def __init__(
        self,
        type: AttachmentEventType,
        subject_id: int,
        task_id: int | None = None,
        changes: NoChanges = ...,
        snapshot: AttachmentSnapshot | None = None,
    ) -> None: ...
    def __init__(
        self,
        type: EventType,
        subject_id: int,
        task_id: int | None = None,
        changes: EventChanges | None = None,
        snapshot: EventSnapshot | None = None,
    ) -> None:
        self.type, self.subject_id, self.task_id = type, subject_id, task_id
        self.changes = {} if changes is None else changes
        self.snapshot = snapshot


async def reserve(
    session: AsyncSession, project_id: int, *, events: int = 1, tasks: int = 0
) -> Reservation:
    row = (
        await session.execute(
            update(ProjectCounter)
            .where(ProjectCounter.project_id == project_id)
            .values(
                event_seq=ProjectCounter.event_seq + events,
                task_seq=ProjectCounter.task_seq + tasks,
            )
            .returning(ProjectCounter.event_seq, ProjectCounter.task_seq)
        )
    ).first()
    if row is None:
        raise NotFound("No such project.")
    last_seq, last_number = row
    return Reservation(
        project_id=project_id,
        first_seq=last_seq - events + 1,
        count=events,
        first_number=last_number - tasks + 1,
    )


# One family's snapshots give its changes: each field of the snapshot that differs.
@overload
def diff(before: ProjectSnapshot, after: ProjectSnapshot) -> ProjectChanges: ...
@overload
def diff(before: StatusSnapshot, after: StatusSnapshot) -> StatusChanges: ...
@overload
def diff(before: LabelSnapshot, after: LabelSnapshot) -> LabelChanges: ...
@overload
def diff(before: TaskSnapshot, after: TaskSnapshot, ignore: Sequence[str] = ()) -> TaskChanges: ...
def diff(
    before: Mapping[str, object], after: Mapping[str, object], ignore: Sequence[str] = ()
) -> Mapping[str, object]:
    """An event's `changes`: each field that differs, as [before, after]."""
    return {k: [before[k], after[k]] for k in after if before[k] != after[k] and k not in ignore}


async def append(
    session: AsyncSession, reservation: Reservation, actor_id: int | None, drafts: Sequence[Draft]
) -> None:
    if len(drafts) != reservation.count:
        raise ValueError(f"reserved {reservation.count} events, got {len(drafts)}")
    now = utcnow()
    events = [
        RecordedEvent(
            project_id=reservation.project_id,
            seq=reservation.first_seq + offset,
            type=draft.type,
            actor_id=actor_id,
            subject_id=draft.subject_id,
            task_id=draft.task_id,
            changes=draft.changes,
            snapshot=draft.snapshot,
            created_at=now,
        )
        for offset, draft in enumerate(drafts)
    ]
    await session.execute(insert(Event), [row(event) for event in events])
    # Published (live viewers, caches) only once the transaction has committed (see db.py).
    pending(session).events.extend(events)


def row(event: RecordedEvent) -> dict[str, Any]:
    """The event as values for an INSERT into the log (its fields are the log's columns)."""
    return {name: getattr(event, name) for name in _FIELDS}


_FIELDS = tuple(f.name for f in fields(RecordedEvent))


async def record(
    session: AsyncSession, project_id: int, actor_id: int | None, *drafts: Draft
) -> None:
    """Reserve and append in one go, for writes that need no number before their change."""
    reservation = await reserve(session, project_id, events=len(drafts))
    await append(session, reservation, actor_id, drafts)
