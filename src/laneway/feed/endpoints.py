from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from laneway.activity import repository
from laneway.activity.schemas import EVENT_OUT, EventPage
from laneway.db import SessionDep
from laneway.errors import responses
from laneway.kit.schemas import Seq
from laneway.models import Event
from laneway.projects.access import ProjectViewer
from laneway.tasks.access import TaskViewer

router = APIRouter(tags=["activity"])

After = Annotated[Seq, Query(description="Events after this sequence number.")]
Limit = Annotated[int, Query(ge=1, le=500)]


def _page(events: list[Event], limit: int) -> EventPage:
    items = [EVENT_OUT.validate_python(e, from_attributes=True) for e in events[:limit]]
    return EventPage(items=items, next_after=items[-1].seq if len(events) > limit else None)


@router.get(
    "/projects/{project_id}/activity",
    response_model=EventPage,
    operation_id="project_activity",
    responses=responses(401, 404, 422),
)
async def project_activity(
    access: ProjectViewer, session: SessionDep, after: After = 0, limit: Limit = 100
) -> EventPage:
    events = await repository.events_after(session, access.project.id, after, limit=limit + 1)
    return _page(list(events), limit)


@router.get(
    "/tasks/{task_id}/activity",
    response_model=EventPage,
    operation_id="task_activity",
    responses=responses(401, 404, 422),
)
async def task_activity(
    access: TaskViewer, session: SessionDep, after: After = 0, limit: Limit = 100
) -> EventPage:
    task = access.task
    events = await repository.task_events_after(
        session, task.project_id, task.id, after, limit=limit + 1
    )
    return _page(list(events), limit)
