from __future__ import annotations

from fastapi import APIRouter, Response, status

from laneway.auth.deps import CurrentUser
from laneway.db import SessionDep, writes
from laneway.errors import responses
from laneway.idempotency import IdempotencyDep
from laneway.kit.schemas import Id
from laneway.models import Membership, Project, Role, User
from laneway.models.refs import ProjectRef
from laneway.projects import service
from laneway.projects.access import (
    ProjectAdmin,
    ProjectAdminAnyState,
    ProjectViewer,
)
from laneway.projects.schemas import (
    MemberIn,
    MemberOut,
    MemberUpdateIn,
    ProjectCreateIn,
    ProjectOut,
    ProjectUpdateIn,
)

router = APIRouter(tags=["projects"])


def _project_out(project: Project | ProjectRef, role: Role) -> ProjectOut:
    return ProjectOut(
        id=project.id,
        key=project.key,
        name=project.name,
        description=project.description,
        archived_at=project.archived_at,
        created_at=project.created_at,
        updated_at=project.updated_at,
        role=role,
    )


def _member_out(membership: Membership, user: User) -> MemberOut:
    return MemberOut(
        user_id=user.id,
        email=user.email,
        name=user.name,
        username=user.username,
        role=membership.role,
        created_at=membership.created_at,
    )


@router.get(
    "/projects",
    response_model=list[ProjectOut],
    operation_id="list_projects",
    responses=responses(401, 422),
)
async def list_projects(
    user: CurrentUser, session: SessionDep, include_archived: bool = False
) -> list[ProjectOut]:
    rows = await service.list_projects(session, user, include_archived=include_archived)
    return [_project_out(project, role) for project, role in rows]


@router.post(
    "/projects",
    status_code=status.HTTP_201_CREATED,
    response_model=ProjectOut,
    operation_id="create_project",
    responses=responses(400, 401, 409, 413, 422),
)
@writes
async def create_project(
    body: ProjectCreateIn, user: CurrentUser, session: SessionDep, idempotency: IdempotencyDep
) -> Response:
    return await idempotency.once(
        201,
        lambda: service.create_project(
            session, user, name=body.name, key=body.key, description=body.description
        ),
        lambda project: _project_out(project, Role.owner),
    )


@router.get(
    "/projects/{project_id}",
    response_model=ProjectOut,
    operation_id="get_project",
    responses=responses(401, 404, 422),
)
async def get_project(access: ProjectViewer) -> ProjectOut:
    return _project_out(access.project, access.role)


@router.patch(
    "/projects/{project_id}",
    response_model=ProjectOut,
    operation_id="update_project",
    responses=responses(400, 401, 403, 404, 409, 413, 422),
)
@writes
async def update_project(
    body: ProjectUpdateIn, access: ProjectAdminAnyState, session: SessionDep
) -> ProjectOut:
    project = await service.update_project(
        session, access, name=body.name, description=body.description, archived=body.archived
    )
    return _project_out(project, access.role)


@router.get(
    "/projects/{project_id}/members",
    response_model=list[MemberOut],
    operation_id="list_members",
    responses=responses(401, 404, 422),
)
async def list_members(access: ProjectViewer, session: SessionDep) -> list[MemberOut]:
    return [_member_out(m, u) for m, u in await service.list_members(session, access)]


@router.post(
    "/projects/{project_id}/members",
    status_code=status.HTTP_201_CREATED,
    response_model=MemberOut,
    operation_id="add_member",
    responses=responses(400, 401, 403, 404, 409, 413, 422),
)
@writes
async def add_member(
    body: MemberIn, access: ProjectAdmin, session: SessionDep, idempotency: IdempotencyDep
) -> Response:
    return await idempotency.once(
        201,
        lambda: service.add_member(session, access, email=body.email, role=body.role),
        lambda added: _member_out(*added),
    )


@router.patch(
    "/projects/{project_id}/members/{user_id}",
    response_model=MemberOut,
    operation_id="change_member_role",
    responses=responses(400, 401, 403, 404, 409, 413, 422),
)
@writes
async def change_member_role(
    user_id: Id, body: MemberUpdateIn, access: ProjectAdmin, session: SessionDep
) -> MemberOut:
    membership, user = await service.change_role(session, access, user_id, body.role)
    return _member_out(membership, user)


@router.delete(
    "/projects/{project_id}/members/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="remove_member",
    responses=responses(401, 403, 404, 409, 422),
)
@writes
async def remove_member(user_id: Id, access: ProjectViewer, session: SessionDep) -> Response:
    await service.remove_member(session, access, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
