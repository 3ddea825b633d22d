"""Reads of the event log."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from laneway.models import Event, ProjectCounter


async def events_after(
    session: AsyncSession, project_id: int, after: int, *, limit: int, upto: int | None = None
) -> Sequence[Event]:
    """The project's events with `after` < seq (<= `upto`), oldest first, at most `limit`."""
    query = select(Event).where(Event.project_id == project_id, Event.seq > after)
    if upto is not None:
        query = query.where(Event.seq <= upto)
    return (await session.scalars(query.order_by(Event.seq).limit(limit))).all()


async def task_events_after(
    session: AsyncSession, project_id: int, task_id: int, after: int, *, limit: int
) -> Sequence[Event]:
    """One task's events with `after` < seq, oldest first, at most `limit`."""
    query = select(Event).where(
        Event.task_id == task_id, Event.project_id == project_id, Event.seq > after
    )
    return (await session.scalars(query.order_by(Event.seq).limit(limit))).all()


async def last_seq(session: AsyncSession, project_id: int) -> int:
    """The project's newest event number: the version of everything in it."""
    seq = await session.scalar(
        select(ProjectCounter.event_seq).where(ProjectCounter.project_id == project_id)
    )
    return int(seq or 0)
