"""Every query of labels."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from laneway.models import Label, Task
from laneway.tasks.search import label_filter


async def of_project(session: AsyncSession, project_id: int) -> Sequence[Label]:
    result = await session.scalars(
        select(Label).where(Label.project_id == project_id).order_by(Label.name, Label.id)
    )
    return result.all()


async def count(session: AsyncSession, project_id: int) -> int:
    found = await session.scalar(
        select(func.count()).select_from(Label).where(Label.project_id == project_id)
    )
    return found or 0


async def find(session: AsyncSession, project_id: int, label_id: int) -> Label | None:
    return await session.scalar(
        select(Label).where(Label.id == label_id, Label.project_id == project_id)
    )


async def tasks_with(session: AsyncSession, project_id: int, label_id: int) -> Sequence[Task]:
    """The project's tasks that have the label, in id order."""
    dialect = session.get_bind().dialect.name
    result = await session.scalars(
        select(Task)
        .where(Task.project_id == project_id, label_filter(dialect, [label_id]))
        .order_by(Task.id)
    )
    return result.all()
