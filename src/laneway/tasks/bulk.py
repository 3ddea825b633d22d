"""Bulk changes to up to 500 tasks: all of them or none, one event per task that changed."""

from __future__ import annotations

from fractional_indexing import generate_n_keys_between
from sqlalchemy.ext.asyncio import AsyncSession

from laneway.activity import recorder
from laneway.errors import FieldError, UnprocessableContent
from laneway.models import Task
from laneway.models.base import utcnow
from laneway.models.event_types import TaskEventType
from laneway.projects.access import ProjectAccess
from laneway.tasks import repository
from laneway.tasks.repository import RefQuery
from laneway.tasks.schemas import MAX_LABELS, BulkAction, BulkIn, snapshot
from laneway.tasks.service import check_refs

_EVENT_TYPES: dict[BulkAction, TaskEventType] = {
    BulkAction.move: "task.moved",
    BulkAction.archive: "task.archived",
    BulkAction.restore: "task.restored",
}


def _needs(field: str, action: BulkAction) -> UnprocessableContent:
    return UnprocessableContent(
        f"{field} is required for action {action.value}.",
        errors=[FieldError(loc=["body", field], msg="required", type="missing")],
    )


def _relabel(tasks: list[Task], body: BulkIn) -> dict[Task, list[int]]:
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


async def apply(session: AsyncSession, access: ProjectAccess, body: BulkIn) -> list[Task]:
    project = access.project
    action = body.action
    if action is BulkAction.move and body.status_id is None:
        raise _needs("status_id", action)
    if action is BulkAction.label and not (body.add_labels or body.remove_labels):
        raise _needs("add_labels", action)
    if action is BulkAction.assign and "assignee_id" not in body.model_fields_set:
        raise _needs("assignee_id", action)

    # The counter row first, like every write (no deadlock), then the tasks, in id order.
    await recorder.reserve(session, project.id, events=0)
    ids = sorted(set(body.task_ids))
    tasks = list(await repository.for_update(session, project.id, ids))
    missing = sorted(set(ids) - {t.id for t in tasks})
    if missing:
        raise UnprocessableContent(
            f"{len(missing)} of the tasks are not in this project; nothing was changed.",
            errors=[
                FieldError(loc=["body", "task_ids"], msg=f"no such task: {i}", type="not_found")
                for i in missing[:20]
            ],
        )
    refs = RefQuery(project.id)
    if action is BulkAction.move:
        refs.status(body.status_id)
        refs.placement()
    if action is BulkAction.assign and body.assignee_id is not None:
        refs.member(body.assignee_id)
    labels = [*body.add_labels, *body.remove_labels]
    if action is BulkAction.label:
        refs.labels(labels)
    found = await refs.run(session)
    check_refs(found, labels=labels, project_id=project.id)

    before = {t.id: snapshot(t, project.key) for t in tasks}
    now = utcnow()
    changed: list[Task] = []
    if action is BulkAction.move:
        target = int(found.status_id or 0)  # check_refs refused a missing status
        moving = [t for t in tasks if t.status_id != target and t.archived_at is None]
        ranks = generate_n_keys_between(found.low, None, len(moving))
        for task, rank in zip(moving, ranks, strict=True):
            task.status_id, task.rank = target, rank
        changed = moving
    elif action is BulkAction.assign:
        changed = [t for t in tasks if t.assignee_id != body.assignee_id]
        for task in changed:
            task.assignee_id = body.assignee_id
    elif action is BulkAction.label:
        relabelled = _relabel(tasks, body)
        for task, new in relabelled.items():
            task.label_ids = new
        changed = list(relabelled)
    elif action is BulkAction.archive:
        changed = [t for t in tasks if t.archived_at is None]
        for task in changed:
            task.archived_at = now
    else:
        changed = [t for t in tasks if t.archived_at is not None]
        for task in changed:
            task.archived_at = None
    for task in changed:
        task.version += 1
        task.updated_at = now
    await session.flush()

    event_type = _EVENT_TYPES.get(action, "task.updated")
    drafts = []
    for task in changed:
        after = snapshot(task, project.key)
        changes = recorder.diff(before[task.id], after, ignore=("version", "updated_at"))
        drafts.append(recorder.Draft(event_type, task.id, task.id, changes, after))
    if drafts:
        reservation = await recorder.reserve(session, project.id, events=len(drafts))
        await recorder.append(session, reservation, access.user.id, drafts)
    return tasks
