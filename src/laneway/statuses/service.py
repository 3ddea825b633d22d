"""Workflow statuses: the board's columns. Takes a session, flushes, never commits."""

from __future__ import annotations

from collections.abc import Sequence

from fractional_indexing import generate_n_keys_between
from sqlalchemy.ext.asyncio import AsyncSession

from laneway.activity import recorder
from laneway.errors import Conflict, NotFound, UnprocessableContent
from laneway.models import Status, StatusCount
from laneway.models.event_payloads import StatusSnapshot
from laneway.projects.access import ProjectAccess
from laneway.statuses import repository
from laneway.statuses.schemas import StatusCreateIn, StatusUpdateIn
from laneway.tasks import repository as task_repository
from laneway.tasks.schemas import snapshot as task_snapshot


def snapshot(status: Status) -> StatusSnapshot:
    return {
        "id": status.id,
        "project_id": status.project_id,
        "name": status.name,
        "category": status.category,
        "position": status.position,
        "wip_limit": status.wip_limit,
    }


async def list_statuses(
    session: AsyncSession, access: ProjectAccess
) -> Sequence[tuple[Status, int]]:
    statuses, _last_event = await repository.with_counts_and_seq(session, access.project.id)
    return statuses


def _check_name(statuses: Sequence[Status], name: str, status_id: int | None = None) -> None:
    # Callers hold the project's write lock, so this check cannot race.
    if any(s.name.lower() == name.lower() and s.id != status_id for s in statuses):
        raise Conflict(f"A status named {name!r} already exists.")


def _reorder(statuses: list[Status], moving: Status, position: int) -> dict[int, int]:
    """New positions after moving one status; returns {status id: position} that changed."""
    order = [s for s in statuses if s.id != moving.id]
    order.insert(min(position, len(order)), moving)
    changed = {s.id: i for i, s in enumerate(order) if s.position != i}
    for i, s in enumerate(order):
        s.position = i
    return changed


async def create_status(
    session: AsyncSession, access: ProjectAccess, body: StatusCreateIn
) -> tuple[Status, int]:
    project_id = access.project.id
    reservation = await recorder.reserve(session, project_id)
    statuses = list(await repository.of_project(session, project_id))
    _check_name(statuses, body.name)
    status = Status(
        project_id=project_id,
        name=body.name,
        category=body.category,
        wip_limit=body.wip_limit,
        position=len(statuses),
    )
    session.add(status)
    await session.flush()
    if body.position is not None:
        _reorder([*statuses, status], status, body.position)
        await session.flush()
    session.add(StatusCount(project_id=project_id, status_id=status.id, count=0))
    await session.flush()
    await recorder.append(
        session,
        reservation,
        access.user.id,
        [recorder.Draft("status.created", status.id, snapshot=snapshot(status))],
    )
    return status, 0


async def _find(statuses: Sequence[Status], status_id: int) -> Status:
    for status in statuses:
        if status.id == status_id:
            return status
    raise NotFound("No such status in this project.")


async def update_status(
    session: AsyncSession, access: ProjectAccess, status_id: int, body: StatusUpdateIn
) -> Status:
    project_id = access.project.id
    reservation = await recorder.reserve(session, project_id)
    statuses = list(await repository.of_project(session, project_id))
    status = await _find(statuses, status_id)
    before = snapshot(status)
    if body.name is not None:
        _check_name(statuses, body.name, status.id)
        status.name = body.name
    if body.category is not None:
        status.category = body.category
    if body.clear_wip_limit:
        status.wip_limit = None
    elif body.wip_limit is not None:
        status.wip_limit = body.wip_limit
    if body.position is not None:
        _reorder(statuses, status, body.position)
    await session.flush()
    after = snapshot(status)
    changes = recorder.diff(before, after)
    if body.position is not None:
        changes["order"] = [None, [s.id for s in sorted(statuses, key=lambda s: s.position)]]
    await recorder.append(
        session,
        reservation,
        access.user.id,
        [recorder.Draft("status.updated", status.id, changes=changes, snapshot=after)],
    )
    return status


async def delete_status(
    session: AsyncSession, access: ProjectAccess, status_id: int, move_to: int | None
) -> None:
    project_id = access.project.id
    # The project's lock before reading the column: a task created into it meanwhile is then
    # either committed and moved below, or waits for this delete and finds the status gone.
    await recorder.reserve(session, project_id, events=0)
    statuses = list(await repository.of_project(session, project_id))
    status = await _find(statuses, status_id)
    if len(statuses) == 1:
        raise Conflict("A project needs at least one status.")
    task_ids = await repository.task_ids_in(session, status_id)
    target: Status | None = None
    if move_to is not None:
        target = await _find(statuses, move_to)
        if target.id == status.id:
            raise UnprocessableContent("move_to must be another status.")
    elif task_ids:
        raise Conflict(
            f"The status has {len(task_ids)} tasks; pass move_to=<status id> to move them."
        )
    # under the lock already: these numbers follow on from the last event, no gap
    reservation = await recorder.reserve(session, project_id, events=len(task_ids) + 1)
    drafts: list[recorder.Draft] = []
    if task_ids and target is not None:
        last = await repository.last_rank(session, project_id, target.id)
        ranks = generate_n_keys_between(last, None, len(task_ids))
        for task_id, rank in zip(task_ids, ranks, strict=True):
            await repository.place_task(session, task_id, target.id, rank)
        drafts.extend(
            recorder.Draft(
                "task.moved",
                task.id,
                task_id=task.id,
                changes={"status_id": [status.id, target.id]},
                snapshot=task_snapshot(task, access.project.key),
            )
            for task in await task_repository.by_ids(session, task_ids)
        )
    remaining = [s for s in statuses if s.id != status.id]
    for i, s in enumerate(remaining):
        s.position = i
    await session.delete(status)
    await session.flush()
    drafts.append(recorder.Draft("status.deleted", status.id, snapshot=snapshot(status)))
    await recorder.append(session, reservation, access.user.id, drafts)
