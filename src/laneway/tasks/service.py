"""Tasks: create, edit, move, archive, delete. Takes the request's session and flushes.

It never commits, but for one named exception: on PostgreSQL, a create, edit or move that is
all its request writes (`alone`) is one statement that commits by itself (tasks/one_trip.py,
db.single_statement_autocommit); the reads a create checks first then commit by themselves too.

A write either takes the project's write lock in the one statement that writes (PostgreSQL:
creates, edits and moves, whatever their If-Match), after reading what it depends on, or
reserves its event sequence number first (the lock), then reads what it depends on fresh, then
changes rows (SQLite, deletes, a new parent). Either way exactly one event per changed task.
How an edit or a move is written (the lock, the version check, the `*` retry): tasks/edits.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from laneway.activity import recorder
from laneway.blobs import store as attachment_storage
from laneway.db import single_statement_autocommit
from laneway.errors import (
    Conflict,
    FieldError,
    LanewayError,
    NotFound,
    PreconditionFailed,
    UnprocessableContent,
)
from laneway.kit import etag
from laneway.kit.schemas import MAX_INT32
from laneway.models import Task
from laneway.models.base import utcnow
from laneway.models.event_types import TaskEventType
from laneway.projects.access import ProjectAccess
from laneway.tasks import edits, one_trip, ranks, repository
from laneway.tasks.access import TaskAccess
from laneway.tasks.repository import RefQuery, Refs
from laneway.tasks.schemas import (
    PriorityName,
    TaskCreateIn,
    TaskMoveIn,
    TaskUpdateIn,
    snapshot,
    task_json,
)

# API field name -> Task attribute, for the fields a PATCH may change directly
_PLAIN_FIELDS = {
    "title": "title",
    "description": "description",
    "assignee_id": "assignee_id",
    "due_date": "due_date",
    "estimate": "estimate",
    "parent_id": "parent_id",
    "labels": "label_ids",
}


def _invalid(field: str, message: str) -> FieldError:
    return FieldError(loc=["body", field], msg=message, type="reference_invalid")


def check_refs(found: Refs, *, labels: Sequence[int] = (), project_id: int) -> None:
    errors: list[FieldError] = []
    asked = found.asked
    if "status_id" in asked and found.status_id is None:
        errors.append(_invalid("status_id", "no such status in this project"))
    if "assignee_id" in asked and found.assignee_id is None:
        errors.append(_invalid("assignee_id", "the assignee must be a member of the project"))
    if "labels_found" in asked and found.labels_found != len(set(labels)):
        errors.append(_invalid("labels", "every label must belong to this project"))
    if "parent_project_id" in asked and found.parent_project_id != project_id:
        errors.append(_invalid("parent_id", "no such task in this project"))
    if found.cycle:
        errors.append(_invalid("parent_id", "a task cannot be placed under its own sub-task"))
    if found.anchor_found is False:
        errors.append(
            _invalid("after_id", "the neighbour must be a live task in the target status")
        )
    if errors:
        raise UnprocessableContent("The request refers to things it cannot use.", errors=errors)


async def create_task(
    session: AsyncSession, access: ProjectAccess, body: TaskCreateIn, *, alone: bool = False
) -> Task:
    """`alone`: the request writes nothing else, so a one-statement write may commit by
    itself (see one_trip.py); with an Idempotency-Key its record commits with the task."""
    project = access.project
    # a parent is checked for cycles by reading the tree: under the lock
    one_trip_ok = edits.one_statement_path(session) and body.parent_id is None
    reservation = (
        None if one_trip_ok else await recorder.reserve(session, project.id, events=1, tasks=1)
    )
    if one_trip_ok and alone:  # the checks' read and the write each commit by themselves
        await single_statement_autocommit(session)
    refs = RefQuery(project.id)
    refs.status(body.status_id)
    if body.assignee_id is not None:
        refs.member(body.assignee_id)
    if body.labels:
        refs.labels(body.labels)
    if body.parent_id is not None:
        refs.parent(body.parent_id, None)
    refs.placement()
    found = await refs.run(session)
    check_refs(found, labels=body.labels, project_id=project.id)

    now = utcnow()
    values: dict[str, Any] = {
        "project_id": project.id,
        "title": body.title,
        "description": body.description,
        "status_id": found.status_id,
        "assignee_id": body.assignee_id,
        "reporter_id": access.user.id,
        "priority": body.priority.level,
        "label_ids": sorted(set(body.labels)),
        "due_date": body.due_date,
        "estimate": body.estimate,
        "parent_id": body.parent_id,
        "rank": edits.rank_between(found, locked=reservation is not None),
        "archived_at": None,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
    if reservation is None:
        # id and number are filled in by the statement that writes the row
        draft = task_json(SimpleNamespace(**values, id=0, number=0), project.key)
        guards = one_trip.Guards(project.id, values["label_ids"], body.assignee_id)
        return await one_trip.create(
            session, guards, access.user.id, values, draft, f"{project.key}-", alone=alone
        )
    task = Task(number=reservation.first_number, **values)
    session.add(task)
    await session.flush()
    await recorder.append(
        session,
        reservation,
        access.user.id,
        [recorder.Draft("task.created", task.id, task.id, snapshot=snapshot(task, project.key))],
    )
    return task


def _update_refusal(body: TaskUpdateIn, task: Task) -> UnprocessableContent | None:
    """What is wrong with the edit itself: a field that cannot be null, or the task as its own
    parent."""
    given = body.model_fields_set
    for required in ("title", "description", "priority", "labels", "archived", "status_id"):
        if required in given and getattr(body, required) is None:
            return UnprocessableContent(
                f"{required} cannot be null.", errors=[_invalid(required, "cannot be null")]
            )
    if body.parent_id == task.id:
        return UnprocessableContent(
            "A task cannot be its own parent.",
            errors=[_invalid("parent_id", "a task cannot be its own parent")],
        )
    return None


def _plain_values(body: TaskUpdateIn, task: Task, refs: RefQuery) -> dict[str, Any]:
    """The columns the fields present set as they are, with the lookups that check them."""
    given = body.model_fields_set
    values = {attr: getattr(body, field) for field, attr in _PLAIN_FIELDS.items() if field in given}
    if "labels" in given:
        values["label_ids"] = sorted(set(body.labels or ()))
        if values["label_ids"]:
            refs.labels(values["label_ids"])
    if "priority" in given and body.priority is not None:
        values["priority"] = PriorityName(body.priority).level
    if body.assignee_id is not None:
        refs.member(body.assignee_id)
    if body.parent_id is not None:
        refs.parent(body.parent_id, task.id)
    return values


def _archiving(body: TaskUpdateIn, task: Task, values: dict[str, Any]) -> TaskEventType:
    """Archive or restore as `archived` asks (into `values`), and the event that says so."""
    if body.archived is True and task.archived_at is None:
        values["archived_at"] = utcnow()
        return "task.archived"
    if body.archived is False and task.archived_at is not None:
        values["archived_at"] = None
        return "task.restored"
    return "task.updated"


async def update_task(
    session: AsyncSession,
    access: TaskAccess,
    body: TaskUpdateIn,
    expected: int | None,
    *,
    alone: bool = False,
) -> Task:
    return await edits.redone_while_changed(
        session, access, expected, lambda now: _update(session, now, body, expected, alone=alone)
    )


async def _update(
    session: AsyncSession,
    access: TaskAccess,
    body: TaskUpdateIn,
    expected: int | None,
    *,
    alone: bool,
) -> Task:
    task, project = access.task, access.project.project
    refusal = _update_refusal(body, task)
    edit = await edits.begin_edit(
        session, access, expected, refusal, reparents=body.parent_id is not None
    )
    values = _plain_values(body, task, edit.refs)
    restoring = body.archived is False and task.archived_at is not None
    # a task entering a column (or coming back from the archive) goes to its end
    placed = restoring or (body.status_id is not None and body.status_id != task.status_id)
    if placed:
        edit.refs.status(task.status_id if body.status_id is None else body.status_id)
        edit.refs.placement(moving_id=task.id)
    found = await edit.refs.run(session)
    check_refs(found, labels=values.get("label_ids", ()), project_id=project.id)
    if placed:
        values["status_id"], values["rank"] = found.status_id, edit.rank(found)
    event_type = _archiving(body, task, values)
    updated = await edits.write(
        session, access, expected, values, event_type, edit.reservation, alone=alone
    )
    if placed:
        return await ranks.rebalance_if_long(session, access.project, updated)
    return updated


async def move_task(
    session: AsyncSession,
    access: TaskAccess,
    body: TaskMoveIn,
    expected: int | None,
    *,
    alone: bool = False,
) -> Task:
    return await edits.redone_while_changed(
        session, access, expected, lambda now: _move(session, now, body, expected, alone=alone)
    )


async def _move(
    session: AsyncSession,
    access: TaskAccess,
    body: TaskMoveIn,
    expected: int | None,
    *,
    alone: bool,
) -> Task:
    task, project = access.task, access.project.project
    refusal: LanewayError | None = None
    if task.id in (body.after_id, body.before_id):
        refusal = UnprocessableContent("A task cannot be placed next to itself.")
    elif task.archived_at is not None:
        refusal = Conflict("Archived tasks are not on the board; restore the task first.")
    edit = await edits.begin_edit(session, access, expected, refusal)
    edit.refs.status(body.status_id)
    edit.refs.placement(moving_id=task.id, after_id=body.after_id, before_id=body.before_id)
    found = await edit.refs.run(session)
    check_refs(found, project_id=project.id)
    values = {"status_id": found.status_id, "rank": edit.rank(found)}
    moved = await edits.write(
        session, access, expected, values, "task.moved", edit.reservation, alone=alone
    )
    return await ranks.rebalance_if_long(session, access.project, moved)


async def delete_task(session: AsyncSession, access: TaskAccess, expected: int | None) -> None:
    task, project = access.task, access.project.project
    etag.check(task.version, expected)
    reservation = await recorder.reserve(session, project.id)
    if expected is None:
        task = await repository.refresh(session, task)
    if await repository.has_children(session, task.id):
        raise Conflict("The task has sub-tasks; delete or move them first.")
    await attachment_storage.forget_task(session, task.id)  # its rows go by cascade
    final = snapshot(task, project.key)
    if not await repository.delete_at_version(session, task.id, task.version):
        raise PreconditionFailed("The task changed; reload it before deleting.")
    await recorder.append(
        session,
        reservation,
        access.project.user.id,
        [recorder.Draft("task.deleted", task.id, task.id, snapshot=final)],
    )


async def get_by_number(session: AsyncSession, access: ProjectAccess, number: str) -> Task:
    key, _, digits = number.upper().rpartition("-")
    if not digits.isdigit() or int(digits) > MAX_INT32 or (key and key != access.project.key):
        raise NotFound("No such task in this project.")
    task = await repository.by_number(session, access.project.id, int(digits))
    if task is None:
        raise NotFound("No such task in this project.")
    return task
