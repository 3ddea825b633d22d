from __future__ import annotations

from fastapi import APIRouter, Response, status

from laneway.db import SessionDep, writes
from laneway.errors import responses
from laneway.idempotency import IdempotencyDep
from laneway.kit.schemas import Id
from laneway.labels import service
from laneway.labels.schemas import LabelCreateIn, LabelOut, LabelUpdateIn
from laneway.projects.access import ProjectAdmin, ProjectMember, ProjectViewer

router = APIRouter(tags=["labels"])


@router.get(
    "/projects/{project_id}/labels",
    response_model=list[LabelOut],
    operation_id="list_labels",
    responses=responses(401, 404, 422),
)
async def list_labels(access: ProjectViewer, session: SessionDep) -> list[LabelOut]:
    labels = await service.list_labels(session, access.project.id)
    return [LabelOut.model_validate(label) for label in labels]


@router.post(
    "/projects/{project_id}/labels",
    status_code=status.HTTP_201_CREATED,
    response_model=LabelOut,
    operation_id="create_label",
    responses=responses(400, 401, 403, 404, 409, 413, 422),
)
@writes
async def create_label(
    body: LabelCreateIn, access: ProjectMember, session: SessionDep, idempotency: IdempotencyDep
) -> Response:
    return await idempotency.once(
        201, lambda: service.create_label(session, access, body), LabelOut.model_validate
    )


@router.patch(
    "/projects/{project_id}/labels/{label_id}",
    response_model=LabelOut,
    operation_id="update_label",
    responses=responses(400, 401, 403, 404, 409, 413, 422),
)
@writes
async def update_label(
    label_id: Id, body: LabelUpdateIn, access: ProjectMember, session: SessionDep
) -> LabelOut:
    """Rename or recolour a label; tasks keep it."""
    label = await service.update_label(session, access, label_id, body)
    return LabelOut.model_validate(label)


@router.delete(
    "/projects/{project_id}/labels/{label_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="delete_label",
    responses=responses(401, 403, 404, 409, 422),
)
@writes
async def delete_label(label_id: Id, access: ProjectAdmin, session: SessionDep) -> Response:
    """Delete a label; every task that has it loses it (one `task.updated` event each)."""
    await service.delete_label(session, access, label_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
