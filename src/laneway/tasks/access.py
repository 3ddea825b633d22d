"""Authorization for /tasks/{task_id} routes: the task in one query, my role in its project from
the per-process cache (or one more query).

The same rules as projects/access.py: not a member means 404, too low a role means 403, an
archived project is read-only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

import structlog
from fastapi import Depends

from laneway.auth.deps import CurrentUser
from laneway.caches import Caches, CachesDep
from laneway.db import SessionDep
from laneway.errors import NotFound
from laneway.kit.schemas import Id
from laneway.models import Role, Task
from laneway.models.refs import UserRef
from laneway.projects.access import ProjectAccess, check_role, project_and_role
from laneway.tasks import repository


@dataclass(frozen=True, slots=True)
class TaskAccess:
    task: Task
    project: ProjectAccess


def require_task_role(
    least: Role, *, writes: bool
) -> Callable[[Id, UserRef, SessionDep, Caches], Awaitable[TaskAccess]]:
    async def dependency(
        task_id: Id, user: CurrentUser, session: SessionDep, caches: CachesDep
    ) -> TaskAccess:
        task = await repository.get(session, task_id)
        found = (
            None
            if task is None
            else await project_and_role(session, caches, task.project_id, user.id)
        )
        if task is None or found is None:
            raise NotFound("No such task.")
        project, role = found
        structlog.contextvars.bind_contextvars(project_id=project.id, task_id=task.id)
        check_role(role, least, writes=writes, archived=project.archived_at)
        return TaskAccess(task=task, project=ProjectAccess(project=project, role=role, user=user))

    return dependency


TaskViewer = Annotated[TaskAccess, Depends(require_task_role(Role.viewer, writes=False))]
TaskMember = Annotated[TaskAccess, Depends(require_task_role(Role.member, writes=True))]
