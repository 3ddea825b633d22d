from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from sqlalchemy.ext.asyncio import AsyncSession

from laneway.activity import repository as activity_repository
from laneway.board import repository
from laneway.board.schemas import BoardOut
from laneway.caches import Caches, CachesDep
from laneway.db import SessionDep
from laneway.errors import responses
from laneway.kit import jsonbytes
from laneway.kit.cursor import CursorCodec, CursorsDep
from laneway.kit.etag import IfNoneMatch
from laneway.labels import service as label_service
from laneway.models.refs import ProjectRef
from laneway.projects.access import ProjectViewer
from laneway.statuses import repository as status_repository
from laneway.statuses import service as status_service
from laneway.tasks.cards import cards
from laneway.tasks.search import TaskQuery

router = APIRouter(tags=["board"])
DEFAULT_LIMIT, MAX_LIMIT = 50, 200  # tasks per column


@router.get(
    "/projects/{project_id}/board",
    response_model=BoardOut,
    operation_id="get_board",
    responses={**responses(401, 404, 422), 304: {"description": "Not modified"}},
)
async def get_board(
    access: ProjectViewer,
    session: SessionDep,
    caches: CachesDep,
    cursors: CursorsDep,
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="Tasks per column.")
    ] = DEFAULT_LIMIT,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """Any change in the project appends an event, so its newest number versions the whole
    board: a board this process rendered at that number is answered as is, and a client that
    has it gets a 304, without the database (see caches.py for how fresh the number is)."""
    project_id = access.project.id
    seq = caches.versions.current(project_id)
    # too long since this process could vouch for its number: one small read, worth it only
    # if a rendered board or the client's copy may still be current (else render at once)
    if seq is None and (if_none_match is not None or caches.has_board(project_id, limit)):
        read_at = time.monotonic()
        seq = await activity_repository.last_seq(session, project_id)
        caches.versions.confirmed(project_id, seq, read_at)
    if seq is not None:
        etag = board_etag(seq, limit)
        if etag_matches(if_none_match, etag):
            return Response(status_code=304, headers={"ETag": etag})
        body = caches.board(project_id, limit, seq)
        if body is not None:
            return _response(body, etag)
    read_at = time.monotonic()
    seq, body = await _render(session, caches, cursors, access.project, limit)
    caches.versions.confirmed(project_id, seq, read_at)
    caches.keep_board(project_id, limit, seq, body)
    etag = board_etag(seq, limit)
    if etag_matches(if_none_match, etag):
        return Response(status_code=304, headers={"ETag": etag})
    return _response(body, etag)


def board_etag(seq: int, limit: int) -> str:
    return f'"b{seq}-{limit}"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    return if_none_match is not None and etag in {t.strip() for t in if_none_match.split(",")}


def _response(body: bytes, etag: str) -> Response:
    return Response(body, headers={"ETag": etag}, media_type="application/json")


async def _labels(session: AsyncSession, caches: Caches, project_id: int) -> list[dict[str, Any]]:
    labels = caches.project_labels(project_id)
    if labels is None:
        labels = [
            {"id": lb.id, "project_id": lb.project_id, "name": lb.name, "color": lb.color}
            for lb in await label_service.list_labels(session, project_id)
        ]
        caches.keep_labels(project_id, labels)
    return labels


async def _render(
    session: AsyncSession, caches: Caches, cursors: CursorCodec, project: ProjectRef, limit: int
) -> tuple[int, bytes]:
    statuses, seq = await status_repository.with_counts_and_seq(session, project.id)
    rows = await repository.first_pages(session, project.id, [s.id for s, _ in statuses], limit)
    labels = await _labels(session, caches, project.id)

    by_status: dict[int, list[Any]] = {}
    users: dict[int, str] = {}
    for row in rows:
        by_status.setdefault(row.status_id, []).append(row)
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
            next_cursor = cursors.encode(query.scope(project.id), [tasks[-1].rank, tasks[-1].id])
        rendered = cards(caches, tasks, project.key)
        head = jsonbytes.dumps(
            {**status_service.snapshot(status), "count": count, "next_cursor": next_cursor}
        )
        columns.append(b'%s,"tasks":[%s]}' % (head[:-1], b",".join(rendered)))
    board = jsonbytes.dumps(
        {
            "project_id": project.id,
            "key": project.key,
            "seq": seq,
            "labels": labels,
            "users": [{"id": i, "name": n} for i, n in sorted(users.items())],
        }
    )
    return seq, b'%s,"columns":[%s]}' % (board[:-1], b",".join(columns))
