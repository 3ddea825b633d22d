from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from laneway.errors import NotFound
from laneway.models import Label, Membership, Project, Status, Task

LIVE = Task.archived_at.is_(None)


class RefQuery:
    """Collects every lookup a write needs (is this status ours, is that user a member, where
    does the task go) and answers them all in one SELECT of scalar subqueries."""

    def __init__(self, project_id: int) -> None:
        self.project_id = project_id
        self._columns: dict[str, ScalarSelect[Any] | ColumnElement[Any]] = {}

    def status(self, status_id: int | None) -> ScalarSelect[Any]:
        query = select(Status.id).where(Status.project_id == self.project_id)
        if status_id is None:
            query = query.order_by(Status.position, Status.id).limit(1)
        else:
            query = query.where(Status.id == status_id)
        subquery = query.scalar_subquery()
        self._columns["status_id"] = subquery
        return subquery

    def member(self, user_id: int) -> None:
        self._columns["assignee_id"] = (
            select(Membership.user_id)
            .where(Membership.project_id == self.project_id, Membership.user_id == user_id)
            .scalar_subquery()
        )

    def labels(self, label_ids: Sequence[int]) -> None:
        self._columns["labels_found"] = (
            select(func.count())
            .select_from(Label)
            .where(Label.project_id == self.project_id, Label.id.in_(set(label_ids)))
            .scalar_subquery()
        )

    def parent(self, parent_id: int, child_id: int | None) -> None:
        self._columns["parent_project_id"] = (
            select(Task.project_id).where(Task.id == parent_id).scalar_subquery()
        )
        if child_id is None:
            return
        # Would the child become its own ancestor? Walk up from the new parent.
        ancestors = select(Task.id, Task.parent_id).where(Task.id == parent_id).cte(recursive=True)
        ancestors = ancestors.union_all(
            select(Task.id, Task.parent_id).join(ancestors, Task.id == ancestors.c.parent_id)
        )
        self._columns["cycle"] = (
            select(func.count())
            .select_from(ancestors)
            .where(ancestors.c.id == child_id)
            .scalar_subquery()
        )

    def placement(
        self,
        status: ColumnElement[Any] | int,
        *,
        moving_id: int | None = None,
        after_id: int | None = None,
        before_id: int | None = None,
    ) -> None:
        """The two ranks a task goes between, read fresh under the project's write lock.

        After `after_id` means between it and its current successor; before `before_id` means
        between its current predecessor and it; neither means the end of the column. Reading
        the real neighbour (not the client's idea of it) keeps every live rank unique.
        """
        column = [Task.project_id == self.project_id, Task.status_id == status, LIVE]
        if moving_id is not None:
            column.append(Task.id != moving_id)
        if after_id is not None:
            anchor = select(Task.rank).where(Task.id == after_id, *column).scalar_subquery()
            self._columns["low"] = anchor
            self._columns["high"] = (
                select(func.min(Task.rank)).where(*column, Task.rank > anchor).scalar_subquery()
            )
            self._columns["anchor_found"] = anchor.is_not(None)
        elif before_id is not None:
            anchor = select(Task.rank).where(Task.id == before_id, *column).scalar_subquery()
            self._columns["low"] = (
                select(func.max(Task.rank)).where(*column, Task.rank < anchor).scalar_subquery()
            )
            self._columns["high"] = anchor
            self._columns["anchor_found"] = anchor.is_not(None)
        else:
            self._columns["low"] = select(func.max(Task.rank)).where(*column).scalar_subquery()

    async def run(self, session: AsyncSession) -> dict[str, Any]:
        if not self._columns:
            return {}
        row = (await session.execute(select(*(c.label(k) for k, c in self._columns.items())))).one()
        return dict(row._mapping)


async def by_ids(session: AsyncSession, task_ids: Sequence[int]) -> Sequence[Task]:
    result = await session.scalars(select(Task).where(Task.id.in_(task_ids)).order_by(Task.id))
    return result.all()


async def for_update(
    session: AsyncSession, project_id: int, task_ids: Sequence[int]
) -> Sequence[Task]:
    result = await session.scalars(
        select(Task)
        .where(Task.project_id == project_id, Task.id.in_(task_ids))
        .order_by(Task.id)
        .with_for_update()
    )
    return result.all()


async def by_number(session: AsyncSession, project_id: int, number: int) -> Task | None:
    return await session.scalar(
        select(Task).where(Task.project_id == project_id, Task.number == number)
    )


async def refresh(session: AsyncSession, task: Task) -> Task:
    """The task as committed now (it may have changed since it was loaded), or 404."""
    fresh = await session.scalar(
        select(Task).where(Task.id == task.id).execution_options(populate_existing=True)
    )
    if fresh is None:
        raise NotFound("No such task.")
    return fresh


async def has_children(session: AsyncSession, task_id: int) -> bool:
    found = await session.scalar(select(Task.id).where(Task.parent_id == task_id).limit(1))
    return found is not None


async def project_key(session: AsyncSession, project_id: int) -> str:
    key: str = (await session.execute(select(Project.key).where(Project.id == project_id))).one()[0]
    return key
