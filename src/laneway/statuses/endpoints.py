from __future__ import annotations

from fastapi import APIRouter, Response, status

from laneway.db import SessionDep, writes
from laneway.errors import responses
from laneway.idempotency import IdempotencyDep
from laneway.kit.schemas import Id
from laneway.models import Status
from laneway.projects.access import ProjectAdmin, ProjectViewer
from laneway.statuses import service
from laneway.statuses.schemas import StatusCreateIn, StatusOut, StatusUpdateIn

router = APIRouter(tags=["statuses"])


def status_out(item: Status, count: int) -> StatusOut:
    return StatusOut(
        id=item.id,
        project_id=item.project_id,
        name=item.name,
        category=item.category,
        position=item.position,
        wip_limit=item.wip_limit,
        count=count,
    )


@router.get(
    "/projects/{project_id}/statuses",
    response_model=list[StatusOut],
    operation_id="list_statuses",
    responses=responses(401, 404, 422),
)
async def list_statuses(access: ProjectViewer, session: SessionDep) -> list[StatusOut]:
    return [status_out(s, n) for s, n in await service.list_statuses(session, access)]


@router.post(
    "/projects/{project_id}/statuses",
    status_code=status.HTTP_201_CREATED,
    response_model=StatusOut,
    operation_id="create_status",
    responses=responses(400, 401, 403, 404, 409, 413, 422),
)
@writes
async def create_status(
    body: StatusCreateIn, access: ProjectAdmin, session: SessionDep, idempotency: IdempotencyDep
) -> Response:
    return await idempotency.once(
        201, lambda: service.create_status(session, access, body), lambda made: status_out(*made)
    )


@router.patch(
    "/projects/{project_id}/statuses/{status_id}",
    response_model=StatusOut,
    operation_id="update_status",
    responses=responses(400, 401, 403, 404, 409, 413, 422),
)
@writes
async def update_status(
    status_id: Id, body: StatusUpdateIn, access: ProjectAdmin, session: SessionDep
) -> StatusOut:
    updated = await service.update_status(session, access, status_id, body)
    counts = {s.id: n for s, n in await service.list_statuses(session, access)}
    return status_out(updated, counts.get(updated.id, 0))


@router.delete(
    "/projects/{project_id}/statuses/{status_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="delete_status",
    responses=responses(401, 403, 404, 409, 422),
)
@writes
async def delete_status(
    status_id: Id, access: ProjectAdmin, session: SessionDep, move_to: Id | None = None
) -> Response:
    await service.delete_status(session, access, status_id, move_to)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
