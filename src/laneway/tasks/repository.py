"""Queries of tasks for their writes and lookups. The list's are in search.py, My Work's in
my_work.py and the one-statement writes in one_trip.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    ScalarSelect,
    Select,
    and_,
    bindparam,
    case,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from laneway.db import core
from laneway.errors import NotFound
from laneway.models import Label, Membership, Project, Status, Task

LIVE = Task.archived_at.is_(None)


@dataclass(frozen=True, slots=True)
class Refs:
    """What a write's lookups found. `asked` names the lookups made; the others stay None."""

    asked: frozenset[str]
    status_id: int | None = None  # the status, if it is the project's
    assignee_id: int | None = None  # the user, if a member
    labels_found: int | None = None  # how many of the labels are the project's
    parent_project_id: int | None = None
    cycle: bool = False  # the new parent is a sub-task of the task
    low: str | None = None  # the ranks the task goes between
    high: str | None = None
    anchor_found: bool | None = None  # after_id / before_id is live in the target status


@dataclass(frozen=True, slots=True)
class _Shape:
    status: str | None = None  # "id" or "first" (the first by position)
    member: bool = False
    labels: bool = False
    parent: str | None = None  # "task" (a new task) or "child" (with the cycle check)
    placement: str | None = None  # "end", "after" or "before"
    moving: bool = False  # the task being placed is already in the column


class RefQuery:
    """Collects every lookup a write needs (is this status ours, is that user a member, where
    does the task go) and answers them all in one SELECT of scalar subqueries, built once per
    combination of lookups with bound parameters."""

    def __init__(self, project_id: int) -> None:
        self._shape = _Shape()
        self._params: dict[str, Any] = {"p_project": project_id}

    def _ask(self, **changes: Any) -> None:
        self._shape = replace(self._shape, **changes)

    def status(self, status_id: int | None) -> None:
        """The status (None: the project's first) must be the project's."""
        self._ask(status="first" if status_id is None else "id")
        self._params["p_status"] = status_id

    def member(self, user_id: int) -> None:
        self._ask(member=True)
        self._params["p_member"] = user_id

    def labels(self, label_ids: Sequence[int]) -> None:
        self._ask(labels=True)
        self._params["p_labels"] = sorted(set(label_ids))

    def parent(self, parent_id: int, child_id: int | None) -> None:
        self._ask(parent="task" if child_id is None else "child")
        self._params.update(p_parent=parent_id, p_child=child_id)

    def placement(
        self,
        *,
        moving_id: int | None = None,
        after_id: int | None = None,
        before_id: int | None = None,
    ) -> None:
        """The two ranks a task goes in the asked status between, read fresh.

        After `after_id` means between it and its current successor; before `before_id` means
        between its current predecessor and it; neither means the end of the column. Reading
        the real neighbour (not the client's idea of it) keeps every live rank unique.
        """
        where = "after" if after_id is not None else "before" if before_id is not None else "end"
        self._ask(placement=where, moving=moving_id is not None)
        self._params.update(p_moving=moving_id, p_anchor=after_id or before_id)

    async def run(self, session: AsyncSession) -> Refs:
        shape = self._shape
        if shape == _Shape():
            return Refs(asked=frozenset())
        row = (await core(session).execute(_statement(shape), self._params)).one()
        return Refs(asked=frozenset(row._fields), **row._mapping)


@cache
def _statement(shape: _Shape) -> Select[Any]:
    project_id: Any = bindparam("p_project")
    columns: dict[str, Any] = {}
    status: Any = None
    if shape.status is not None:
        query = select(Status.id).where(Status.project_id == project_id)
        if shape.status == "first":
            query = query.order_by(Status.position, Status.id).limit(1)
        else:
            query = query.where(Status.id == bindparam("p_status"))
        status = columns["status_id"] = query.scalar_subquery()
    if shape.member:
        columns["assignee_id"] = (
            select(Membership.user_id)
            .where(Membership.project_id == project_id, Membership.user_id == bindparam("p_member"))
            .scalar_subquery()
        )
    if shape.labels:
        columns["labels_found"] = (
            select(func.count())
            .select_from(Label)
            .where(
                Label.project_id == project_id,
                Label.id.in_(bindparam("p_labels", expanding=True)),
            )
            .scalar_subquery()
        )
    if shape.parent is not None:
        parent_id: Any = bindparam("p_parent")
        columns["parent_project_id"] = (
            select(Task.project_id).where(Task.id == parent_id).scalar_subquery()
        )
        if shape.parent == "child":
            # Would the child become its own ancestor? Walk up from the new parent.
            up = select(Task.id, Task.parent_id).where(Task.id == parent_id).cte(recursive=True)
            up = up.union_all(select(Task.id, Task.parent_id).join(up, Task.id == up.c.parent_id))
            columns["cycle"] = (
                select(func.count() > 0)
                .select_from(up)
                .where(up.c.id == bindparam("p_child"))
                .scalar_subquery()
            )
    if shape.placement is not None:
        where = in_column(project_id, status)
        if shape.moving:
            where.append(Task.id != bindparam("p_moving"))
        if shape.placement == "end":
            columns["low"] = nearest_rank(where, last=True)
        else:
            # its rank if it is live in the column, else NULL; found by its id alone, through
            # the primary key: with the column's conditions in the WHERE, PostgreSQL without
            # statistics takes ix_tasks_board and walks the whole column for the id
            anchor = (
                select(case((and_(*where), Task.rank)))
                .where(Task.id == bindparam("p_anchor"))
                .scalar_subquery()
            )
            columns["anchor_found"] = anchor.is_not(None)
            if shape.placement == "after":
                columns["low"] = anchor
                columns["high"] = nearest_rank([*where, Task.rank > anchor], last=False)
            else:
                columns["low"] = nearest_rank([*where, Task.rank < anchor], last=True)
                columns["high"] = anchor
    return select(*(value.label(name) for name, value in columns.items()))


def in_column(project_id: Any, status_id: Any) -> list[ColumnElement[bool]]:
    """A board column's live tasks: the leading columns and the condition of ix_tasks_board,
    so that the index serves every lookup within a column."""
    return [Task.project_id == project_id, Task.status_id == status_id, LIVE]


def nearest_rank(where: Sequence[ColumnElement[bool]], *, last: bool) -> ScalarSelect[str]:
    """The last (or first) rank among `where`'s tasks, `where` being an `in_column(...)` and
    perhaps a bound on the rank.

    ORDER BY rank LIMIT 1 takes one step along ix_tasks_board. max() or min() would say the
    same, but without planner statistics (a new or bulk-loaded project, before any ANALYZE)
    PostgreSQL plans them as an aggregate over every task in the column: each create or move
    then read the whole column (issue 26: 5.8 ms at 10,000 tasks, against 0.08 ms).
    """
    order = Task.rank.desc() if last else Task.rank.asc()
    return select(Task.rank).where(*where).order_by(order).limit(1).scalar_subquery()


async def get(session: AsyncSession, task_id: int) -> Task | None:
    return await session.scalar(select(Task).where(Task.id == task_id))


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


async def update_at_version(
    session: AsyncSession, task_id: int, version: int, values: dict[str, Any]
) -> Task | None:
    """The task with `values` written, if it is still at `version`; None if a change was
    committed meanwhile."""
    result = await session.execute(
        update(Task)
        .where(Task.id == task_id, Task.version == version)
        .values(**values)
        .returning(Task)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    return result.scalar_one_or_none()


async def delete_at_version(session: AsyncSession, task_id: int, version: int) -> bool:
    """Whether the task was deleted: False if a change was committed meanwhile."""
    result = await session.execute(
        delete(Task).where(Task.id == task_id, Task.version == version).returning(Task.id)
    )
    return result.first() is not None


async def has_children(session: AsyncSession, task_id: int) -> bool:
    found = await session.scalar(select(Task.id).where(Task.parent_id == task_id).limit(1))
    return found is not None


async def project_key(session: AsyncSession, project_id: int) -> str:
    key: str = (await session.execute(select(Project.key).where(Project.id == project_id))).one()[0]
    return key
