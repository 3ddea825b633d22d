"""Authorization for /tasks/{task_id} routes: the task, its project and my role in one query.

The same rules as projects/access.py: not a member means 404, too low a role means 403, an
archived project is read-only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

import structlog
from fastapi import Depends
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from laneway.auth.deps import CurrentUser
from laneway.db import SessionDep
from laneway.errors import NotFound
from laneway.kit.schemas import Id
from laneway.models import Membership, Project, Role, Task, User
from laneway.projects.access import ProjectAccess, check_role


@dataclass(frozen=True, slots=True)
class TaskAccess:
    task: Task
    project: ProjectAccess


async def _load(
    session: AsyncSession, task_id: int, user_id: int
) -> tuple[Task, Project, Role] | None:
    row = (
        await session.execute(
            select(Task, Project, Membership.role)
            .join(Project, Project.id == Task.project_id)
            .join(
                Membership,
                (Membership.project_id == Task.project_id) & (Membership.user_id == user_id),
            )
            .where(Task.id == task_id)
        )
    ).first()
    return None if row is None else (row[0], row[1], row[2])


def require_task_role(
    least: Role, *, writes: bool
) -> Callable[[Id, User, SessionDep], Awaitable[TaskAccess]]:
    async def dependency(task_id: Id, user: CurrentUser, session: SessionDep) -> TaskAccess:
        found = await _load(session, task_id, user.id)
        if found is None:
            raise NotFound("No such task.")
        task, project, role = found
        structlog.contextvars.bind_contextvars(project_id=project.id, task_id=task.id)
        check_role(role, least, writes=writes, archived=project.archived_at)
        return TaskAccess(task=task, project=ProjectAccess(project=project, role=role, user=user))

    return dependency


TaskViewer = Annotated[TaskAccess, Depends(require_task_role(Role.viewer, writes=False))]
TaskMember = Annotated[TaskAccess, Depends(require_task_role(Role.member, writes=True))]
