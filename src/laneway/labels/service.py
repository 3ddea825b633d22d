"""Labels of a project. Takes a session, flushes, never commits."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from laneway.activity import recorder
from laneway.errors import Conflict, NotFound
from laneway.kit.savepoint import add_unique
from laneway.labels import repository
from laneway.labels.schemas import LabelCreateIn, LabelUpdateIn
from laneway.models import Label
from laneway.models.base import utcnow
from laneway.models.event_payloads import LabelSnapshot
from laneway.projects.access import ProjectAccess
from laneway.tasks.schemas import snapshot as task_snapshot

# Events after which a project's labels may differ: its cached list (caches.py) is dropped
LABEL_EVENTS = ("label.",)
PALETTE = ("#2563eb", "#16a34a", "#d97706", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#4b5563")


async def list_labels(session: AsyncSession, project_id: int) -> Sequence[Label]:
    return await repository.of_project(session, project_id)


async def create_label(session: AsyncSession, access: ProjectAccess, body: LabelCreateIn) -> Label:
    project_id = access.project.id
    reservation = await recorder.reserve(session, project_id)
    color = body.color
    if color is None:
        color = PALETTE[await repository.count(session, project_id) % len(PALETTE)]
    label = Label(project_id=project_id, name=body.name, color=color.lower())
    if not await add_unique(session, label):
        raise Conflict(f"A label named {body.name!r} already exists.")
    await recorder.append(
        session,
        reservation,
        access.user.id,
        [recorder.Draft("label.created", label.id, snapshot=snapshot(label))],
    )
    return label


def snapshot(label: Label) -> LabelSnapshot:
    return {
        "id": label.id,
        "project_id": label.project_id,
        "name": label.name,
        "color": label.color,
    }


async def _find(session: AsyncSession, project_id: int, label_id: int) -> Label:
    label = await repository.find(session, project_id, label_id)
    if label is None:
        raise NotFound("No such label in this project.")
    return label


async def update_label(
    session: AsyncSession, access: ProjectAccess, label_id: int, body: LabelUpdateIn
) -> Label:
    project_id = access.project.id
    reservation = await recorder.reserve(session, project_id)
    label = await _find(session, project_id, label_id)
    before = snapshot(label)
    if body.name is not None:
        label.name = body.name
    if body.color is not None:
        label.color = body.color.lower()
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise Conflict(f"A label named {body.name!r} already exists.") from None
    after = snapshot(label)
    changes = recorder.diff(before, after)
    await recorder.append(
        session,
        reservation,
        access.user.id,
        [recorder.Draft("label.updated", label.id, changes=changes, snapshot=after)],
    )
    return label


async def delete_label(session: AsyncSession, access: ProjectAccess, label_id: int) -> None:
    """Delete a label and take it off every task that has it: one event per changed task, so
    live boards and the history show it, then `label.deleted`."""
    project_id = access.project.id
    # the project's write lock first (zero events), so the set of tasks cannot change under us
    await recorder.reserve(session, project_id, events=0)
    label = await _find(session, project_id, label_id)
    tasks = await repository.tasks_with(session, project_id, label_id)
    reservation = await recorder.reserve(session, project_id, events=len(tasks) + 1)
    drafts: list[recorder.Draft] = []
    now = utcnow()
    for task in tasks:
        before = list(task.label_ids)
        task.label_ids = [i for i in before if i != label_id]
        task.version += 1
        task.updated_at = now
        drafts.append(
            recorder.Draft(
                "task.updated",
                task.id,
                task.id,
                changes={"labels": [before, list(task.label_ids)]},
                snapshot=task_snapshot(task, access.project.key),
            )
        )
    await session.delete(label)
    await session.flush()
    drafts.append(recorder.Draft("label.deleted", label.id, snapshot=snapshot(label)))
    await recorder.append(session, reservation, access.user.id, drafts)
