"""Authorization for every project-scoped route: the project and my role, from the per-process
cache (caches.py) or one query.

A caller who is not a member gets 404, exactly as for a project that does not exist, so ids
leak nothing. Routes state the least role they need; the check lives here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

import structlog
from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from laneway.auth.deps import CurrentUser
from laneway.caches import Caches, CachesDep
from laneway.db import SessionDep
from laneway.errors import Conflict, Forbidden, NotFound
from laneway.kit.schemas import Id
from laneway.models import Project, Role, User
from laneway.models.refs import ProjectRef, UserRef
from laneway.projects import repository

# Events after which a project's memberships or its own fields may differ: the cached roles
# (caches.py) of that project are dropped
ACCESS_EVENTS = ("project.", "member.")


@dataclass(frozen=True, slots=True)
class ProjectAccess:
    project: ProjectRef
    role: Role
    user: UserRef

    @classmethod
    def of(cls, project: Project | ProjectRef, role: Role, user: User | UserRef) -> ProjectAccess:
        """For code that holds ORM objects (seeding, tests)."""
        return cls(
            project=project if isinstance(project, ProjectRef) else ProjectRef.of(project),
            role=role,
            user=user if isinstance(user, UserRef) else UserRef.of(user),
        )


async def project_and_role(
    session: AsyncSession, caches: Caches, project_id: int, user_id: int
) -> tuple[ProjectRef, Role] | None:
    """My role in a project (None if I am not a member), cached per process; a non-member's
    miss is not cached, so joining a project works at once."""
    found = caches.role(project_id, user_id)
    if found is None:
        row = await repository.project_with_role(session, project_id, user_id)
        if row is None:
            return None
        found = (ProjectRef.of(row[0]), row[1])
        caches.keep_role(found[0], user_id, found[1])
    return found


def check_role(role: Role, least: Role, *, writes: bool, archived: datetime | None) -> None:
    """The rule every project-scoped route applies once its object and my role are loaded."""
    if not role.at_least(least):
        raise Forbidden(f"This needs the {least.value} role or higher in the project.")
    if writes and archived is not None:
        raise Conflict("The project is archived; restore it first.")


def require_role(
    least: Role, *, writes: bool
) -> Callable[[Id, UserRef, SessionDep, Caches], Awaitable[ProjectAccess]]:
    async def dependency(
        project_id: Id, user: CurrentUser, session: SessionDep, caches: CachesDep
    ) -> ProjectAccess:
        found = await project_and_role(session, caches, project_id, user.id)
        if found is None:
            raise NotFound("No such project.")
        project, role = found
        structlog.contextvars.bind_contextvars(project_id=project.id)
        check_role(role, least, writes=writes, archived=project.archived_at)
        return ProjectAccess(project=project, role=role, user=user)

    return dependency


# Any member may read; members write; admins manage; archived projects are read-only.
ProjectViewer = Annotated[ProjectAccess, Depends(require_role(Role.viewer, writes=False))]
ProjectMember = Annotated[ProjectAccess, Depends(require_role(Role.member, writes=True))]
ProjectAdmin = Annotated[ProjectAccess, Depends(require_role(Role.admin, writes=True))]
# Settings changes that must also work on an archived project (restoring it).
ProjectAdminAnyState = Annotated[ProjectAccess, Depends(require_role(Role.admin, writes=False))]
