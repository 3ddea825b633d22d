"""The machinery an edit or a move of a task runs on: the project's lock taken first or inside
the one statement that writes, the write checked against the version the edit read, and with
`If-Match: *` the edit done again while another writer changed the task first.

tasks/service.py decides what an edit changes; this module decides how it is written.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from laneway.activity import recorder
from laneway.errors import Conflict, LanewayError, PreconditionFailed
from laneway.kit import etag
from laneway.models import Task
from laneway.models.base import utcnow
from laneway.models.event_types import TaskEventType
from laneway.tasks import one_trip, ranks, repository
from laneway.tasks.access import TaskAccess
from laneway.tasks.repository import RefQuery, Refs
from laneway.tasks.schemas import snapshot, task_json

_COLUMNS = list(Task.__table__.columns)

# how often a write with `If-Match: *` starts over when another writer changed its task first
_STAR_ATTEMPTS = 5


def rank_between(found: Refs, *, locked: bool) -> str:
    # without the project's lock, another writer may have read the same neighbours
    place = ranks.between if locked else ranks.spread_between
    return place(found.low, found.high)


def one_statement_path(session: AsyncSession) -> bool:
    """PostgreSQL writes the counter, the task and its event in one statement (one_trip.py)."""
    return session.bind is not None and session.bind.dialect.name == "postgresql"


def _row(task: Task, **changed: Any) -> SimpleNamespace:
    """The task's columns with some replaced, for its JSON before the row is written."""
    return SimpleNamespace(**{c.name: getattr(task, c.name) for c in _COLUMNS} | changed)


@dataclass(frozen=True, slots=True)
class Edit:
    """An edit or a move under way: the project's lock if it was taken first (else the write
    takes it in its one statement), and the lookups the write needs."""

    reservation: recorder.Reservation | None
    refs: RefQuery

    def rank(self, found: Refs) -> str:
        return rank_between(found, locked=self.reservation is not None)


async def begin_edit(
    session: AsyncSession,
    access: TaskAccess,
    expected: int | None,
    refusal: LanewayError | None,
    *,
    reparents: bool = False,
) -> Edit:
    """What an edit and a move do first: refuse a stale If-Match (412), then what is wrong
    with the request itself (`refusal`), then take the project's lock, unless the write
    takes it in its one statement: on PostgreSQL, for an explicit If-Match and for `*` alike
    (the write checks the version the edit read; see redone_while_changed). Otherwise the
    lock comes first: on SQLite, and for a new parent, checked for cycles by reading the tree
    under it."""
    etag.check(access.task.version, expected)
    if refusal is not None:
        raise refusal
    project_id = access.project.project.id
    one_trip_locks = not reparents and one_statement_path(session)
    reservation = None if one_trip_locks else await recorder.reserve(session, project_id)
    return Edit(reservation, RefQuery(project_id))


async def write(
    session: AsyncSession,
    access: TaskAccess,
    expected: int | None,
    values: dict[str, Any],
    event_type: TaskEventType,
    reservation: recorder.Reservation | None,
    *,
    alone: bool,
) -> Task:
    """Apply `values` if the task is still at the version the edit read; one event.

    The task may have changed since the access check loaded it. On the one-statement path
    that is a 412 (the write re-checks the version against the newest committed row; for
    `If-Match: *` the caller starts over). On the lock-first path with `If-Match: *` the
    caller took the project's write lock first, and we re-read the task under it and go on.
    """
    task = access.task
    key = access.project.project.key
    if reservation is None:
        now = utcnow()
        values = {**values, "version": task.version + 1, "updated_at": now}
        before = snapshot(task, key)
        after = task_json(_row(task, **values), key)
        changes = recorder.diff(before, after, ignore=("version", "updated_at"))
        guards = one_trip.Guards(
            access.project.project.id, values.get("label_ids", ()), values.get("assignee_id")
        )
        return await one_trip.write(
            session,
            guards,
            access.project.user.id,
            task.id,
            task.version,
            values,
            event_type,
            changes,
            after,
            alone=alone,
        )
    if expected is None:
        task = await repository.refresh(session, task)
    before = snapshot(task, access.project.project.key)
    values = {**values, "version": task.version + 1, "updated_at": utcnow()}
    updated = await repository.update_at_version(session, task.id, task.version, values)
    if updated is None:  # someone committed a change between our read and this write
        raise PreconditionFailed("The task changed; reload it and apply your change again.")
    after = snapshot(updated, access.project.project.key)
    changes = recorder.diff(before, after, ignore=("version", "updated_at"))
    await recorder.append(
        session,
        reservation,
        access.project.user.id,
        [recorder.Draft(event_type, task.id, task.id, changes=changes, snapshot=after)],
    )
    return updated


async def redone_while_changed(
    session: AsyncSession,
    access: TaskAccess,
    expected: int | None,
    edit: Callable[[TaskAccess], Awaitable[Task]],
) -> Task:
    """`edit` done, and with `If-Match: *` on the one-statement path done again from the task
    as it is now while another writer changed it first.

    That path writes only if the task is still at the version the edit read (its statement
    holds the project's lock for that one round trip, never across the reads), so a task
    changed meanwhile is written by nobody: a 412 for an explicit If-Match, and for `*` the
    edit starts over from the newer row, as if it had come after that writer. Each retry means
    another writer's change was committed; past a few, a 409 asks the client to try again."""
    if expected is not None or not one_statement_path(session):
        return await edit(access)
    for _ in range(_STAR_ATTEMPTS):
        try:
            return await edit(access)
        except PreconditionFailed:
            fresh = await repository.refresh(session, access.task)
            access = TaskAccess(task=fresh, project=access.project)
    raise Conflict("The task kept changing while this change was written; try again.")
