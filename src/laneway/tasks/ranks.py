"""Rank upkeep. Fractional keys grow by about one character per six inserts into the same
gap; when a key gets long, the column is given fresh, evenly spaced keys (rarely needed)."""

from __future__ import annotations

import secrets

from fractional_indexing import generate_key_between, generate_n_keys_between, validate_order_key
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from laneway.activity import recorder
from laneway.models import Task
from laneway.projects.access import ProjectAccess

REBALANCE_AT = 48
_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def between(low: str | None, high: str | None) -> str:
    rank: str = generate_key_between(low, high)
    return rank


def spread_between(low: str | None, high: str | None) -> str:
    """A rank between two neighbours, with three random digits after the midpoint: writers
    that read the same neighbours without holding the project's lock (tasks/one_trip.py)
    still get different ranks (1 in 200,000 would tie, and ties keep a stable order by id)."""
    suffix = "".join(secrets.choice(_DIGITS) for _ in range(2)) + secrets.choice(_DIGITS[1:])
    middle = between(low, high)
    # a midpoint that is a prefix of the upper neighbour would pass it with a suffix: go on
    # between it and that neighbour (each step is one digit further in, so this ends)
    while high is not None and middle + suffix >= high:
        middle = between(middle, high)
    rank = middle + suffix
    validate_order_key(rank)
    return rank


async def rebalance_if_long(session: AsyncSession, access: ProjectAccess, task: Task) -> Task:
    """Re-key the task's column if its rank got long; the task as it is then. The caller holds
    the write lock."""
    if len(task.rank) <= REBALANCE_AT or task.archived_at is not None:
        return task
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
    return (
        await session.scalars(
            select(Task).where(Task.id == task.id).execution_options(populate_existing=True)
        )
    ).one()
