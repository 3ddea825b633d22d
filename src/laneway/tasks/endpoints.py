from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from laneway.caches import CachesDep
from laneway.db import SessionDep, writes
from laneway.errors import responses
from laneway.idempotency import IdempotencyDep, Reply
from laneway.kit import etag, jsonbytes
from laneway.kit.cursor import CursorsDep
from laneway.models import Task
from laneway.projects.access import ProjectMember, ProjectViewer
from laneway.tasks import bulk, search, service
from laneway.tasks.access import TaskMember, TaskViewer
from laneway.tasks.cards import cards
from laneway.tasks.schemas import (
    BulkIn,
    BulkOut,
    StatusCount,
    TaskCounts,
    TaskCreateIn,
    TaskMoveIn,
    TaskOut,
    TaskPage,
    TaskUpdateIn,
    task_json,
)

router = APIRouter(tags=["tasks"])

# A task's number with or without its project key: ASCII digits, as many as a 32-bit number has
# (a well-formed number beyond the column's range is simply not found).
NUMBER_PATTERN = r"^(?:[A-Za-z][A-Za-z0-9]{1,9}-)?[0-9]{1,10}$"
_WRITE_ERRORS = responses(400, 401, 403, 404, 409, 412, 413, 422, 428)


def _task_response(task: Task, project_key: str, status_code: int = 200) -> Response:
    return jsonbytes.response(
        task_json(task, project_key), status_code, headers={"ETag": etag.etag(task.version)}
    )


def _task_reply(task: Task, project_key: str) -> Reply:
    return Reply(jsonbytes.dumps(task_json(task, project_key)), {"ETag": etag.etag(task.version)})


def _bulk_reply(tasks: list[Task], project_key: str) -> bytes:
    items = [task_json(t, project_key) for t in tasks]
    return jsonbytes.dumps({"updated": len(tasks), "items": items})


@router.get(
    "/projects/{project_id}/tasks",
    response_model=TaskPage,
    operation_id="list_tasks",
    responses=responses(401, 404, 422),
)
async def list_tasks(
    access: ProjectViewer,
    session: SessionDep,
    cursors: CursorsDep,
    caches: CachesDep,
    query: Annotated[search.TaskQuery, Query()],
) -> Response:
    tasks, next_cursor = await search.run(session, access.project.id, query, cursors)
    items = b",".join(cards(caches, tasks, access.project.key))
    body = b'{"items":[%s],"next_cursor":%s}' % (items, jsonbytes.dumps(next_cursor))
    return Response(body, media_type="application/json")


@router.get(
    "/projects/{project_id}/tasks/counts",
    response_model=TaskCounts,
    operation_id="count_tasks",
    responses=responses(401, 404, 422),
)
async def count_tasks(
    access: ProjectViewer, session: SessionDep, query: Annotated[search.TaskFilter, Query()]
) -> TaskCounts:
    """How many tasks match the same filters as the task list, by status: a filtered board's
    columns say "12 of 397". One statement."""
    found = await search.counts(session, access.project.id, query)
    return TaskCounts(
        items=[StatusCount(status_id=s, count=n) for s, n in sorted(found.items())],
        total=sum(found.values()),
    )


@router.post(
    "/projects/{project_id}/tasks",
    status_code=status.HTTP_201_CREATED,
    response_model=TaskOut,
    operation_id="create_task",
    responses=responses(400, 401, 403, 404, 409, 413, 422),
)
@writes
async def create_task(
    body: TaskCreateIn, access: ProjectMember, session: SessionDep, idempotency: IdempotencyDep
) -> Response:
    return await idempotency.once(
        201,
        lambda: service.create_task(session, access, body, alone=idempotency.key is None),
        lambda task: _task_reply(task, access.project.key),
    )


@router.get(
    "/projects/{project_id}/tasks/by-number/{number}",
    response_model=TaskOut,
    operation_id="get_task_by_number",
    responses=responses(401, 404, 422),
)
async def get_task_by_number(
    number: Annotated[str, Path(pattern=NUMBER_PATTERN, examples=["WEB-42", "42"])],
    access: ProjectViewer,
    session: SessionDep,
) -> Response:
    task = await service.get_by_number(session, access, number)
    return _task_response(task, access.project.key)


@router.post(
    "/projects/{project_id}/tasks/bulk",
    response_model=BulkOut,
    operation_id="bulk_update_tasks",
    responses=responses(400, 401, 403, 404, 409, 413, 422),
)
@writes
async def bulk_update(
    body: BulkIn, access: ProjectMember, session: SessionDep, idempotency: IdempotencyDep
) -> Response:
    return await idempotency.once(
        200,
        lambda: bulk.apply(session, access, body),
        lambda tasks: _bulk_reply(tasks, access.project.key),
    )


@router.get(
    "/tasks/{task_id}",
    response_model=TaskOut,
    operation_id="get_task",
    responses={**responses(401, 404, 422), 304: {"description": "Not modified"}},
)
async def get_task(access: TaskViewer, if_none_match: etag.IfNoneMatch = None) -> Response:
    if etag.matches(if_none_match, access.task.version):
        return Response(status_code=304, headers={"ETag": etag.etag(access.task.version)})
    return _task_response(access.task, access.project.project.key)


@router.patch(
    "/tasks/{task_id}",
    response_model=TaskOut,
    operation_id="update_task",
    responses=_WRITE_ERRORS,
)
@writes
async def update_task(
    body: TaskUpdateIn, access: TaskMember, session: SessionDep, if_match: etag.IfMatch = None
) -> Response:
    expected = etag.expected_version(if_match)
    task = await service.update_task(session, access, body, expected, alone=True)
    return _task_response(task, access.project.project.key)


@router.post(
    "/tasks/{task_id}/move",
    response_model=TaskOut,
    operation_id="move_task",
    responses=_WRITE_ERRORS,
)
@writes
async def move_task(
    body: TaskMoveIn,
    access: TaskMember,
    session: SessionDep,
    idempotency: IdempotencyDep,
    if_match: etag.IfMatch = None,
) -> Response:
    return await idempotency.once(
        200,
        lambda: service.move_task(
            session,
            access,
            body,
            etag.expected_version(if_match),
            alone=idempotency.key is None,
        ),
        lambda task: _task_reply(task, access.project.project.key),
    )


@router.delete(
    "/tasks/{task_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="delete_task",
    responses=responses(400, 401, 403, 404, 409, 412, 422, 428),
)
@writes
async def delete_task(
    access: TaskMember, session: SessionDep, if_match: etag.IfMatch = None
) -> Response:
    await service.delete_task(session, access, etag.expected_version(if_match))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
