"""Exports and imports over the API: each request queues a job (jobs.py) and answers 202 with
where to follow it; the file of an export is downloaded once it is done. Uploads are the raw
request body, up to LANEWAY_TRANSFER_MAX_UPLOAD_BYTES."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response, status

from laneway.auth.deps import CurrentUser
from laneway.db import SessionDep, writes
from laneway.errors import Conflict, NotFound, UnprocessableContent, responses
from laneway.idempotency import IdempotencyDep, Reply
from laneway.kit.schemas import Id
from laneway.models import Transfer, TransferKind, TransferState
from laneway.projects.access import ProjectAccess, ProjectAdminAnyState, ProjectMember
from laneway.projects.schemas import ProjectKey, ProjectName
from laneway.transfer import queue
from laneway.transfer.api_schemas import ExportIn, Progress, TransferOut, TransferPage
from laneway.transfer.commands import mapping
from laneway.transfer.csv_read import FIELDS
from laneway.transfer.errors import TransferError
from laneway.transfer.jobs import TransferRunner, TransfersDep

router = APIRouter(tags=["transfers"])

MAX_MAP_ENTRY = 300


def _upload(media_type: str, description: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {media_type: {"schema": {"type": "string", "format": "binary"}}},
        }
    }


@router.post(
    "/projects/{project_id}/exports",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=TransferOut,
    operation_id="export_project",
    responses=responses(400, 401, 403, 404, 409, 413, 422),
)
@writes
async def export_project(
    body: ExportIn,
    access: ProjectAdminAnyState,
    session: SessionDep,
    transfers: TransfersDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Export the project (owners and admins: the archive names members by email) as a job;
    follow it at the `Location`, then download its file."""
    transfer = Transfer(
        kind=TransferKind.export_json if body.format == "json" else TransferKind.export_csv,
        user_id=access.user.id,
        project_id=access.project.id,
        options={"key": access.project.key},
    )
    return await idempotency.once(202, lambda: _queued(session, transfers, transfer), _accepted)


@router.post(
    "/imports",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=TransferOut,
    operation_id="import_project",
    responses=responses(400, 401, 409, 413, 422),
    openapi_extra=_upload(
        "application/json", "A laneway.project archive, or a Trello board's JSON export."
    ),
)
@writes
async def import_project(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    transfers: TransfersDep,
    idempotency: IdempotencyDep,
    source: Annotated[
        Literal["laneway", "trello"], Query(alias="format", description="What the body is.")
    ] = "laneway",
    key: Annotated[ProjectKey | None, Query(description="Instead of the archive's.")] = None,
    name: Annotated[ProjectName | None, Query(description="Instead of the archive's.")] = None,
) -> Response:
    """Import a new project, owned by you, as a job; follow it at the `Location`."""
    kind = TransferKind.import_trello if source == "trello" else TransferKind.import_json
    options = {k: v for k, v in {"key": key, "name": name}.items() if v is not None}
    transfer = Transfer(kind=kind, user_id=user.id, options=options)
    upload = (request, "application/json")
    return await idempotency.once(
        202, lambda: _queued(session, transfers, transfer, upload), _accepted
    )


@router.post(
    "/projects/{project_id}/imports",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=TransferOut,
    operation_id="import_csv",
    responses=responses(400, 401, 403, 404, 409, 413, 422),
    openapi_extra=_upload("text/csv", "UTF-8 CSV with a header row."),
)
@writes
async def import_csv(
    request: Request,
    access: ProjectMember,
    session: SessionDep,
    transfers: TransfersDep,
    idempotency: IdempotencyDep,
    columns: Annotated[
        list[str],
        Query(
            alias="map",
            description="FIELD=COLUMN, once per field; title is required. Fields: "
            + ", ".join(FIELDS)
            + ".",
        ),
    ],
) -> Response:
    """Add a task per CSV row to the project, as a job; follow it at the `Location`."""
    upload = (request, "text/csv")
    return await idempotency.once(
        202, lambda: _queued(session, transfers, _csv_import(access, columns), upload), _accepted
    )


def _csv_import(access: ProjectAccess, columns: list[str]) -> Transfer:
    """The import of CSV rows into the project, or a 422 that says what is wrong with the map
    of FIELD=COLUMN entries."""
    if len(columns) > len(FIELDS) or any(len(entry) > MAX_MAP_ENTRY for entry in columns):
        raise UnprocessableContent(
            f"map at most {len(FIELDS)} fields, each FIELD=COLUMN of at most {MAX_MAP_ENTRY} "
            "characters"
        )
    try:
        fields = mapping(columns)
    except TransferError as error:
        raise UnprocessableContent(error.detail) from None
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown or "title" not in fields:
        raise UnprocessableContent(
            f"map title and any of {', '.join(FIELDS)}"
            + (f" (not {', '.join(unknown)})" if unknown else "")
        )
    return Transfer(
        kind=TransferKind.import_csv,
        user_id=access.user.id,
        project_id=access.project.id,
        options={"mapping": fields},
    )


@router.get(
    "/transfers",
    response_model=TransferPage,
    operation_id="list_transfers",
    responses=responses(401, 422),
)
async def list_transfers(
    user: CurrentUser,
    session: SessionDep,
    before: Annotated[Id | None, Query(description="From `next_before`.")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> TransferPage:
    """Your exports and imports, newest first."""
    found = await queue.of_user(session, user.id, before=before, limit=limit + 1)
    more = len(found) > limit
    items = [_out(t) for t in found[:limit]]
    return TransferPage(items=items, next_before=items[-1].id if more else None)


@router.get(
    "/transfers/{transfer_id}",
    response_model=TransferOut,
    operation_id="get_transfer",
    responses=responses(401, 404, 422),
)
async def get_transfer(transfer_id: Id, user: CurrentUser, session: SessionDep) -> TransferOut:
    """How far it got, and its result or error."""
    return _out(await _mine(session, transfer_id, user.id))


@router.get(
    "/transfers/{transfer_id}/download",
    operation_id="download_transfer",
    response_class=Response,
    responses={
        200: {"description": "The exported file.", "content": {"application/octet-stream": {}}},
        **responses(401, 404, 409, 422),
    },
)
async def download_transfer(transfer_id: Id, user: CurrentUser, session: SessionDep) -> Response:
    """The file a finished export made."""
    transfer = await _mine(session, transfer_id, user.id)
    if transfer.kind not in (TransferKind.export_json, TransferKind.export_csv):
        raise NotFound("An import has no file to download.")
    if transfer.state is not TransferState.done:
        raise Conflict(f"The export is {transfer.state.value}: download it once it is done.")
    found = await queue.output(session, transfer.id)
    if found is None:
        raise NotFound("The export's file is gone.")
    return Response(
        found.data,
        media_type=found.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{found.name}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


async def _mine(session: SessionDep, transfer_id: int, user_id: int) -> Transfer:
    transfer = await queue.one_of_user(session, transfer_id, user_id)
    if transfer is None:
        raise NotFound("No such export or import.")
    return transfer


async def _body(request: Request) -> bytes:
    data = await request.body()
    if not data.strip():
        raise UnprocessableContent("The request body is empty: send the file as the body.")
    return data


async def _queued(
    session: SessionDep,
    transfers: TransferRunner,
    transfer: Transfer,
    upload: tuple[Request, str] | None = None,
) -> Transfer:
    """`upload`: the request whose body is the file to import, and its media type."""
    file = None if upload is None else (await _body(upload[0]), upload[1])
    await queue.add(session, transfer, file)
    transfers.wake()  # a pass that runs before this commits is followed by the poll
    return transfer


def _accepted(transfer: Transfer) -> Reply:
    return Reply(_out(transfer), {"Location": f"/api/v1/transfers/{transfer.id}"})


def _out(transfer: Transfer) -> TransferOut:
    is_export = transfer.kind in (TransferKind.export_json, TransferKind.export_csv)
    return TransferOut(
        id=transfer.id,
        kind=transfer.kind,
        state=transfer.state,
        progress=Progress(done=transfer.done_rows, total=transfer.total_rows),
        project_id=transfer.project_id,
        result=transfer.result,
        error=transfer.error,
        attempts=transfer.attempts,
        created_at=transfer.created_at,
        started_at=transfer.started_at,
        finished_at=transfer.finished_at,
        download=(
            f"/api/v1/transfers/{transfer.id}/download"
            if is_export and transfer.state is TransferState.done
            else None
        ),
    )
