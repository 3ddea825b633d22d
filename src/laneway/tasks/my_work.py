"""`GET /me/tasks`: what is assigned to me across my projects, soonest due first (no due date
last), in keyset pages. Only projects I am a member of count: a task assigned to me in a
project I left is not mine to see."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import Field
from sqlalchemy import and_, case, or_, select

from laneway.auth.deps import CurrentUser
from laneway.db import SessionDep
from laneway.errors import responses
from laneway.kit.cursor import CursorsDep
from laneway.kit.schemas import Id, IsoDate, ResponseModel, Text
from laneway.models import Membership, Project, Status, StatusCategory, Task
from laneway.tasks.schemas import TaskOut, task_json

router = APIRouter(tags=["tasks"])


class MyTaskOut(TaskOut):
    project_key: str
    status_name: str
    status_category: StatusCategory


class MyTaskPage(ResponseModel):
    items: list[MyTaskOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page.")


@router.get(
    "/me/tasks",
    response_model=MyTaskPage,
    operation_id="list_my_tasks",
    responses=responses(401, 422),
)
async def my_tasks(
    user: CurrentUser,
    session: SessionDep,
    cursors: CursorsDep,
    project_id: Annotated[Id | None, Query(description="One project only.")] = None,
    category: Annotated[
        list[StatusCategory] | None, Query(description="Status categories (repeat for more).")
    ] = None,
    due_before: Annotated[IsoDate | None, Query(description="Due on or before.")] = None,
    due_after: Annotated[IsoDate | None, Query(description="Due on or after.")] = None,
    cursor: Annotated[Text | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> MyTaskPage:
    """Open tasks assigned to you (archived ones left out), soonest due first."""
    undated = case((Task.due_date.is_(None), 1), else_=0)
    query = (
        select(Task, Project.key, Status.name, Status.category, undated.label("undated"))
        .join(Project, Project.id == Task.project_id)
        .join(
            Membership,
            and_(Membership.project_id == Task.project_id, Membership.user_id == user.id),
        )
        .join(Status, Status.id == Task.status_id)
        .where(Task.assignee_id == user.id, Task.archived_at.is_(None))
    )
    if project_id is not None:
        query = query.where(Task.project_id == project_id)
    if category:
        query = query.where(Status.category.in_(category))
    if due_before is not None:
        query = query.where(Task.due_date <= due_before)
    if due_after is not None:
        query = query.where(Task.due_date >= due_after)
    scope = f"me-tasks:{user.id}:{project_id}:{category}:{due_before}:{due_after}"
    if cursor is not None:
        flag, due, last = cursors.decode(scope, cursor)
        if flag:  # past the dated ones already: the undated, by id
            query = query.where(Task.due_date.is_(None), Task.id > last)
        else:
            after = date.fromisoformat(due)
            query = query.where(
                or_(
                    Task.due_date.is_(None),
                    Task.due_date > after,
                    and_(Task.due_date == after, Task.id > last),
                )
            )
    rows = (
        await session.execute(query.order_by(undated, Task.due_date, Task.id).limit(limit + 1))
    ).all()
    items = [_item(task, key, name, kind) for task, key, name, kind, _ in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last_task = rows[limit - 1][0]
        position: list[Any] = [
            int(last_task.due_date is None),
            None if last_task.due_date is None else last_task.due_date.isoformat(),
            last_task.id,
        ]
        next_cursor = cursors.encode(scope, position)
    return MyTaskPage(items=items, next_cursor=next_cursor)


def _item(task: Task, key: str, status_name: str, category: StatusCategory) -> MyTaskOut:
    return MyTaskOut(
        **task_json(task, key), project_key=key, status_name=status_name, status_category=category
    )
