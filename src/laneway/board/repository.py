"""The board in a fixed number of statements, whatever the project's size."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Row, Select, bindparam, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from laneway.db import core
from laneway.models import Task, User


@cache
def _first_pages_statement(columns: int) -> Select[Any]:
    """Built once per column count with bound parameters, so requests only bind values."""
    branches = [
        select(Task.id)
        .where(
            Task.project_id == bindparam("project_id"),
            Task.status_id == bindparam(f"status_{i}"),
            Task.archived_at.is_(None),
        )
        .order_by(Task.rank, Task.id)
        .limit(bindparam("per_column"))
        .subquery()
        for i in range(columns)
    ]
    page_ids = union_all(*(select(branch.c.id) for branch in branches)).subquery()
    assignee, reporter = aliased(User), aliased(User)
    # plain rows, not ORM objects: hundreds per request, read once and serialized
    return (
        select(
            *Task.__table__.columns,
            assignee.name.label("assignee_name"),
            reporter.name.label("reporter_name"),
        )
        .join(page_ids, page_ids.c.id == Task.id)
        .outerjoin(assignee, assignee.id == Task.assignee_id)
        .join(reporter, reporter.id == Task.reporter_id)
        .order_by(Task.status_id, Task.rank, Task.id)
    )


async def first_pages(
    session: AsyncSession, project_id: int, status_ids: Sequence[int], per_column: int
) -> list[Row[Any]]:
    """Each column's first `per_column` live tasks (+1 to know if there is more), with the
    assignee's and reporter's names: one UNION ALL of index range scans."""
    if not status_ids:
        return []
    params: dict[str, Any] = {"project_id": project_id, "per_column": per_column + 1}
    params.update({f"status_{i}": status_id for i, status_id in enumerate(status_ids)})
    return list(await core(session).execute(_first_pages_statement(len(status_ids)), params))
