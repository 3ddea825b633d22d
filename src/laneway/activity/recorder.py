"""Append to a project's event log in the caller's transaction.

Every write first reserves its sequence numbers (and task numbers) by incrementing the
project's counter row; see ProjectCounter for why this one lock orders the project's writers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from laneway.activity.types import EventType
from laneway.commits import RecordedEvent, pending
from laneway.errors import NotFound
from laneway.models import Event, ProjectCounter
from laneway.models.base import utcnow


@dataclass(frozen=True, slots=True)
class Reservation:
    project_id: int
    first_seq: int
    count: int
    first_number: int


@dataclass(slots=True)
class Draft:
    type: EventType
    subject_id: int
    task_id: int | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    snapshot: dict[str, Any] | None = None


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


def diff(
    before: dict[str, Any], after: dict[str, Any], ignore: Sequence[str] = ()
) -> dict[str, list[Any]]:
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
