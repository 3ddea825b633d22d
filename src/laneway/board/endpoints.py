from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from laneway.board import repository
from laneway.board.schemas import BoardOut
from laneway.db import SessionDep
from laneway.errors import responses
from laneway.kit import jsonbytes
from laneway.kit.etag import IfNoneMatch
from laneway.labels import service as label_service
from laneway.projects.access import ProjectViewer
from laneway.state import StateDep
from laneway.statuses import repository as status_repository
from laneway.statuses import service as status_service
from laneway.tasks.schemas import task_json
from laneway.tasks.search import TaskQuery

router = APIRouter(tags=["board"])


@router.get(
    "/projects/{project_id}/board",
    response_model=BoardOut,
    operation_id="get_board",
    responses={**responses(401, 404, 422), 304: {"description": "Not modified"}},
)
async def get_board(
    access: ProjectViewer,
    session: SessionDep,
    state: StateDep,
    limit: Annotated[int, Query(ge=1, le=200, description="Tasks per column.")] = 50,
    if_none_match: IfNoneMatch = None,
) -> Response:
    project = access.project
    statuses, seq = await status_repository.with_counts_and_seq(session, project.id)
    # Any change in the project appends an event, so its last number versions the whole board.
    board_etag = f'"b{seq}-{limit}"'
    if if_none_match is not None and board_etag in {t.strip() for t in if_none_match.split(",")}:
        return Response(status_code=304, headers={"ETag": board_etag})
    rows = await repository.first_pages(session, project.id, [s.id for s, _ in statuses], limit)
    labels = await label_service.list_labels(session, project.id)

    by_status: dict[int, list[dict[str, Any]]] = {}
    users: dict[int, str] = {}
    for row in rows:
        by_status.setdefault(row.status_id, []).append(task_json(row, project.key))
        users[row.reporter_id] = row.reporter_name
        if row.assignee_id is not None:
            users[row.assignee_id] = row.assignee_name
    columns = []
    for status, count in statuses:
        tasks = by_status.get(status.id, [])
        next_cursor = None
        if len(tasks) > limit:
            tasks = tasks[:limit]
            query = TaskQuery(status=[status.id], sort="rank", limit=limit)
            next_cursor = state.cursors.encode(
                query.scope(project.id), [tasks[-1]["rank"], tasks[-1]["id"]]
            )
        columns.append(
            {
                **status_service.snapshot(status),
                "count": count,
                "tasks": tasks,
                "next_cursor": next_cursor,
            }
        )
    board = {
        "project_id": project.id,
        "key": project.key,
        "seq": seq,
        "columns": columns,
        "labels": [
            {"id": lb.id, "project_id": lb.project_id, "name": lb.name, "color": lb.color}
            for lb in labels
        ],
        "users": [{"id": i, "name": n} for i, n in sorted(users.items())],
    }
    return jsonbytes.response(board, headers={"ETag": board_etag})
