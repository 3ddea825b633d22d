"""Rank upkeep. Fractional keys grow by about one character per six inserts into the same
gap; when a key gets long, the column is given fresh, evenly spaced keys (rarely needed)."""

from __future__ import annotations

from fractional_indexing import generate_n_keys_between
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from laneway.activity import recorder
from laneway.models import Task
from laneway.projects.access import ProjectAccess

REBALANCE_AT = 48


async def rebalance_if_long(session: AsyncSession, access: ProjectAccess, task: Task) -> bool:
    """Re-key the task's column if its rank got long. The caller holds the write lock."""
    if len(task.rank) <= REBALANCE_AT or task.archived_at is not None:
        return False
    rows = (
        await session.execute(
            select(Task.id, Task.version)
            .where(
                Task.project_id == task.project_id,
                Task.status_id == task.status_id,
                Task.archived_at.is_(None),
            )
            .order_by(Task.rank, Task.id)
        )
    ).all()
    ranks = generate_n_keys_between(None, None, len(rows))
    await session.execute(
        update(Task).execution_options(synchronize_session=False),
        [
            {"id": task_id, "rank": rank, "version": version + 1}
            for (task_id, version), rank in zip(rows, ranks, strict=True)
        ],
    )
    if task in session:
        await session.refresh(task, ["rank", "version"])
    await recorder.record(
        session,
        task.project_id,
        access.user.id,
        recorder.Draft(
            "status.rebalanced",
            task.status_id,
            changes={
                "ranks": {
                    str(task_id): rank for (task_id, _), rank in zip(rows, ranks, strict=True)
                }
            },
        ),
    )
    return True
