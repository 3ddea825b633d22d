"""The inbox (`/me/notifications`), watching a task, and each member's level per project."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from laneway.auth.deps import BriefAuth, CurrentUser
from laneway.db import DatabaseDep, SessionDep, writes
from laneway.errors import NotFound, responses
from laneway.kit import pages
from laneway.kit.cursor import CursorsDep
from laneway.kit.schemas import Id, Text
from laneway.models import Notification
from laneway.models.base import utcnow
from laneway.notifications import repository
from laneway.notifications.schemas import (
    ActorOut,
    InboxChange,
    LevelIn,
    LevelOut,
    MarkedOut,
    MarkReadIn,
    NotificationOut,
    NotificationPage,
    ProjectRefOut,
    TaskRefOut,
    WatcherOut,
    WatchingOut,
)
from laneway.notifications.waiting import WaitersDep, unless_gone
from laneway.projects.access import ProjectViewer
from laneway.tasks.access import TaskViewer

router = APIRouter(tags=["notifications"])


@router.get(
    "/me/notifications",
    response_model=NotificationPage,
    operation_id="list_notifications",
    responses=responses(401, 422),
)
async def list_notifications(
    user: CurrentUser,
    session: SessionDep,
    cursors: CursorsDep,
    unread_only: Annotated[bool, Query(description="Only the unread ones.")] = False,
    cursor: Annotated[Text | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 30,
) -> NotificationPage:
    """Your inbox, newest first, in the projects you are a member of."""

    async def fetch(before: int | None, count: int) -> Sequence[repository.InboxRow]:
        return await repository.inbox(
            session, user.id, unread_only=unread_only, before=before, limit=count
        )

    scope = f"notifications:{user.id}:{unread_only}"
    rows, next_cursor = await pages.by_id(cursors, scope, cursor, limit, fetch, _notification_id)
    items = [_out(*row) for row in rows]
    unread = await repository.unread(session, user.id)
    return NotificationPage(items=items, next_cursor=next_cursor, unread=unread)


def _notification_id(row: repository.InboxRow) -> int:
    return row[0].id


def _out(
    notification: Notification,
    key: str,
    project_name: str,
    number: int | None,
    title: str | None,
    actor_name: str | None,
) -> NotificationOut:
    return NotificationOut(
        id=notification.id,
        kind=notification.kind,
        project=ProjectRefOut(id=notification.project_id, key=key, name=project_name),
        task=(
            None
            if notification.task_id is None or number is None or title is None
            else TaskRefOut(id=notification.task_id, number=f"{key}-{number}", title=title)
        ),
        actor=(
            None
            if notification.actor_id is None or actor_name is None
            else ActorOut(id=notification.actor_id, name=actor_name)
        ),
        excerpt=notification.excerpt,
        due_on=notification.due_on,
        created_at=notification.created_at,
        read=notification.read_at is not None,
    )


@router.get(
    "/me/notifications/wait",
    response_model=InboxChange,
    operation_id="wait_for_notifications",
    responses=responses(401, 422),
)
async def wait_for_notifications(
    request: Request,
    auth: BriefAuth,
    database: DatabaseDep,
    waiters: WaitersDep,
    after: Annotated[
        int, Query(ge=0, le=2**63 - 1, description="The newest notification id you have.")
    ] = 0,
    seconds: Annotated[
        float, Query(alias="timeout", ge=0, le=30, description="Seconds to wait at most.")
    ] = 25,
) -> InboxChange | Response:
    """Answers as soon as you have a notification newer than `after`, or after `timeout`
    seconds: a long poll for the inbox's unread count. No connection is held while it waits."""
    user_id = auth.user.id

    async def newest() -> int:
        async with database.transaction(write=False) as session:
            return await repository.newest(session, user_id)

    latest = await unless_gone(request.receive, waiters.wait(user_id, newest, after, seconds))
    if latest is None:
        return Response(status_code=status.HTTP_204_NO_CONTENT)  # nobody is there to read it
    async with database.transaction(write=False) as session:
        unread = await repository.unread(session, user_id)
    return InboxChange(newest=latest, unread=unread)


@router.post(
    "/me/notifications/{notification_id}/read",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="read_notification",
    responses=responses(401, 404, 422),
)
@writes
async def read_notification(
    notification_id: Id, user: CurrentUser, session: SessionDep
) -> Response:
    marked = await repository.mark_read(session, user.id, utcnow(), only=notification_id, upto=None)
    if not marked and not await repository.is_theirs(session, user.id, notification_id):
        raise NotFound("No such notification.")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/me/notifications/read",
    response_model=MarkedOut,
    operation_id="read_all_notifications",
    responses=responses(400, 401, 413, 422),
)
@writes
async def read_all(body: MarkReadIn, user: CurrentUser, session: SessionDep) -> MarkedOut:
    """Mark every unread one read (or those up to `up_to`)."""
    marked = await repository.mark_read(session, user.id, utcnow(), only=None, upto=body.up_to)
    return MarkedOut(marked=marked, unread=await repository.unread(session, user.id))


@router.get(
    "/projects/{project_id}/notification-level",
    response_model=LevelOut,
    operation_id="get_notification_level",
    responses=responses(401, 404, 422),
)
async def get_level(access: ProjectViewer, session: SessionDep) -> LevelOut:
    """What you are told about in this project."""
    found = await repository.level(session, access.project.id, access.user.id)
    if found is None:
        raise NotFound("Not a member.")
    return LevelOut(level=found)


@router.put(
    "/projects/{project_id}/notification-level",
    response_model=LevelOut,
    operation_id="set_notification_level",
    responses=responses(400, 401, 404, 413, 422),
)
@writes
async def set_level(body: LevelIn, access: ProjectViewer, session: SessionDep) -> LevelOut:
    await repository.set_level(session, access.project.id, access.user.id, body.level)
    return LevelOut(level=body.level)


@router.get(
    "/tasks/{task_id}/watchers",
    response_model=WatchingOut,
    operation_id="list_watchers",
    responses=responses(401, 404, 422),
)
async def list_watchers(access: TaskViewer, session: SessionDep) -> WatchingOut:
    return await _watching(session, access.task.id, access.project.user.id)


@router.put(
    "/tasks/{task_id}/watch",
    response_model=WatchingOut,
    operation_id="watch_task",
    responses=responses(401, 404, 422),
)
@writes
async def watch(access: TaskViewer, session: SessionDep) -> WatchingOut:
    """Be told about this task's comments and status changes."""
    await repository.watch(session, access.task.id, access.project.user.id)
    return await _watching(session, access.task.id, access.project.user.id)


@router.delete(
    "/tasks/{task_id}/watch",
    response_model=WatchingOut,
    operation_id="unwatch_task",
    responses=responses(401, 404, 422),
)
@writes
async def unwatch(access: TaskViewer, session: SessionDep) -> WatchingOut:
    """Stop (a later mention, assignment or comment of yours watches it again)."""
    await repository.unwatch(session, access.task.id, access.project.user.id)
    return await _watching(session, access.task.id, access.project.user.id)


async def _watching(session: SessionDep, task_id: int, user_id: int) -> WatchingOut:
    rows = await repository.watchers_of(session, task_id)
    watchers = [WatcherOut(user_id=i, name=name, username=username) for i, name, username in rows]
    return WatchingOut(watching=any(w.user_id == user_id for w in watchers), watchers=watchers)
