"""Every query of statuses, their task counts and a new project's counter row."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from laneway.models import ProjectCounter, Status, StatusCount, Task
from laneway.tasks import repository as task_repository


async def with_counts_and_seq(
    session: AsyncSession, project_id: int
) -> tuple[list[tuple[Status, int]], int]:
    """Statuses with counts, and the project's last event number (the board's version)."""
    seq = (
        select(ProjectCounter.event_seq)
        .where(ProjectCounter.project_id == project_id)
        .scalar_subquery()
    )
    query = (
        select(Status, func.coalesce(StatusCount.count, 0), seq)
        .outerjoin(
            StatusCount,
            (StatusCount.status_id == Status.id) & (StatusCount.project_id == Status.project_id),
        )
        .where(Status.project_id == project_id)
        .order_by(Status.position, Status.id)
    )
    rows = list(await session.execute(query))
    return [(status, count) for status, count, _ in rows], (rows[0][2] if rows else 0)


async def of_project(session: AsyncSession, project_id: int) -> Sequence[Status]:
    result = await session.scalars(
        select(Status).where(Status.project_id == project_id).order_by(Status.position, Status.id)
    )
    return result.all()


async def task_ids_in(session: AsyncSession, status_id: int) -> Sequence[int]:
    result = await session.scalars(
        select(Task.id).where(Task.status_id == status_id).order_by(Task.rank, Task.id)
    )
    return result.all()


async def last_rank(session: AsyncSession, project_id: int, status_id: int) -> str | None:
    """The rank of the column's last live task. Archived tasks' ranks may lie beyond it: one
    that is restored goes to the end of its column again, so they need not be passed."""
    last = task_repository.nearest_rank(task_repository.in_column(project_id, status_id), last=True)
    return await session.scalar(select(last))


async def place_task(session: AsyncSession, task_id: int, status_id: int, rank: str) -> None:
    """The task into the status at `rank`, a version on."""
    await session.execute(
        update(Task)
        .where(Task.id == task_id)
        .values(status_id=status_id, rank=rank, version=Task.version + 1)
    )
