"""Bulk changes to up to 500 tasks: all of them or none, one event per task that changed.

Each action is a row of `_ACTIONS`: what it asks the reference lookup to check, how it changes
the tasks, and the event it records for each one it changed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from fractional_indexing import generate_n_keys_between
from sqlalchemy.ext.asyncio import AsyncSession

from laneway.activity import recorder
from laneway.errors import FieldError, UnprocessableContent
from laneway.models import Task
from laneway.models.base import utcnow
from laneway.models.event_types import TaskEventType
from laneway.projects.access import ProjectAccess
from laneway.tasks import repository
from laneway.tasks.repository import RefQuery, Refs
from laneway.tasks.schemas import (
    MAX_LABELS,
    BulkArchive,
    BulkAssign,
    BulkIn,
    BulkLabel,
    BulkMove,
    BulkRestore,
    snapshot,
)
from laneway.tasks.service import check_refs

BodyT = TypeVar("BodyT", BulkMove, BulkAssign, BulkLabel, BulkArchive, BulkRestore)


@dataclass(frozen=True, slots=True)
class _Action(Generic[BodyT]):
    event: TaskEventType
    # each changes the tasks it must and returns them (the others are left as they are)
    change: Callable[[list[Task], BodyT, Refs, datetime], list[Task]]
    ask: Callable[[RefQuery, BodyT], None] = lambda _refs, _body: None


def _ask_move(refs: RefQuery, body: BulkMove) -> None:
    refs.status(body.status_id)
    refs.placement()


def _move(tasks: list[Task], _body: BulkMove, found: Refs, _now: datetime) -> list[Task]:
    target = int(found.status_id or 0)  # check_refs refused a missing status
    moving = [t for t in tasks if t.status_id != target and t.archived_at is None]
    ranks = generate_n_keys_between(found.low, None, len(moving))
    for task, rank in zip(moving, ranks, strict=True):
        task.status_id, task.rank = target, rank
    return moving


def _ask_assign(refs: RefQuery, body: BulkAssign) -> None:
    if body.assignee_id is not None:
        refs.member(body.assignee_id)


def _assign(tasks: list[Task], body: BulkAssign, _found: Refs, _now: datetime) -> list[Task]:
    changed = [t for t in tasks if t.assignee_id != body.assignee_id]
    for task in changed:
        task.assignee_id = body.assignee_id
    return changed


def _ask_label(refs: RefQuery, body: BulkLabel) -> None:
    refs.labels([*body.add_labels, *body.remove_labels])


def _label(tasks: list[Task], body: BulkLabel, _found: Refs, _now: datetime) -> list[Task]:
    relabelled = _relabel(tasks, body)
    for task, labels in relabelled.items():
        task.label_ids = labels
    return list(relabelled)


def _relabel(tasks: list[Task], body: BulkLabel) -> dict[Task, list[int]]:
    """Each task's new labels, where they change; none may end up with more than MAX_LABELS."""
    add, remove = set(body.add_labels), set(body.remove_labels)
    new = {task: sorted((set(task.label_ids) | add) - remove) for task in tasks}
    over = [task.id for task, labels in new.items() if len(labels) > MAX_LABELS]
    if over:
        raise UnprocessableContent(
            f"{len(over)} of the tasks would have more than {MAX_LABELS} labels; "
            "nothing was changed.",
            errors=[
                FieldError(
                    loc=["body", "add_labels"],
                    msg=f"task {task_id} would have more than {MAX_LABELS} labels",
                    type="too_long",
                )
                for task_id in over[:20]
            ],
        )
    return {task: labels for task, labels in new.items() if labels != task.label_ids}


def _archive(tasks: list[Task], _body: BulkArchive, _found: Refs, now: datetime) -> list[Task]:
    changed = [t for t in tasks if t.archived_at is None]
    for task in changed:
        task.archived_at = now
    return changed


def _restore(tasks: list[Task], _body: BulkRestore, _found: Refs, _now: datetime) -> list[Task]:
    changed = [t for t in tasks if t.archived_at is not None]
    for task in changed:
        task.archived_at = None
    return changed


_ACTIONS: dict[str, _Action[Any]] = {
    "move": _Action("task.moved", _move, _ask_move),
    "assign": _Action("task.updated", _assign, _ask_assign),
    "label": _Action("task.updated", _label, _ask_label),
    "archive": _Action("task.archived", _archive),
    "restore": _Action("task.restored", _restore),
}


async def apply(session: AsyncSession, access: ProjectAccess, body: BulkIn) -> list[Task]:
    project = access.project
    action = _ACTIONS[body.action]
    # The counter row first, like every write (no deadlock), then the tasks, in id order.
    await recorder.reserve(session, project.id, events=0)
    tasks = await _locked(session, project.id, body.task_ids)
    refs = RefQuery(project.id)
    action.ask(refs, body)
    found = await refs.run(session)
    check_refs(found, labels=[*body.add_labels, *body.remove_labels], project_id=project.id)

    before = {t.id: snapshot(t, project.key) for t in tasks}
    now = utcnow()
    changed = action.change(tasks, body, found, now)
    for task in changed:
        task.version += 1
        task.updated_at = now
    await session.flush()

    drafts = []
    for task in changed:
        after = snapshot(task, project.key)
        changes = recorder.diff(before[task.id], after, ignore=("version", "updated_at"))
        drafts.append(recorder.Draft(action.event, task.id, task.id, changes, after))
    if drafts:
        reservation = await recorder.reserve(session, project.id, events=len(drafts))
        await recorder.append(session, reservation, access.user.id, drafts)
    return tasks


async def _locked(session: AsyncSession, project_id: int, task_ids: Sequence[int]) -> list[Task]:
    """The tasks, locked in id order; a 422 if any is not in the project."""
    ids = sorted(set(task_ids))
    tasks = list(await repository.for_update(session, project_id, ids))
    missing = sorted(set(ids) - {t.id for t in tasks})
    if missing:
        raise UnprocessableContent(
            f"{len(missing)} of the tasks are not in this project; nothing was changed.",
            errors=[
                FieldError(loc=["body", "task_ids"], msg=f"no such task: {i}", type="not_found")
                for i in missing[:20]
            ],
        )
    return tasks
