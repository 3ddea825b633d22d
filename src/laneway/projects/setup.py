"""What a new project starts with: its counters and the default workflow (the statuses, which
are the board's columns; statuses/ manages them from then on)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from laneway.models import Status, StatusCategory
from laneway.projects import repository

DEFAULTS = (
    ("Todo", StatusCategory.unstarted),
    ("In Progress", StatusCategory.started),
    ("In Review", StatusCategory.review),
    ("Issue", StatusCategory.blocked),
    ("Done", StatusCategory.done),
)


async def set_up_project(session: AsyncSession, project_id: int) -> list[Status]:
    """Counters and the default workflow of a new project."""
    await repository.add_counter(session, project_id)
    statuses = [
        Status(project_id=project_id, name=name, category=category, position=position)
        for position, (name, category) in enumerate(DEFAULTS)
    ]
    session.add_all(statuses)
    await session.flush()
    await repository.add_counts(session, project_id, [s.id for s in statuses])
    return statuses
