from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from laneway.activity.types import EventType
from laneway.kit.schemas import ResponseModel


class EventOut(ResponseModel):
    seq: int = Field(description="Contiguous per project, in commit order.")
    type: EventType
    actor_id: int | None
    subject_id: int
    task_id: int | None
    changes: dict[str, Any] = Field(description="field: [before, after]")
    snapshot: dict[str, Any] | None = Field(description="The object after the change.")
    created_at: datetime


class EventPage(ResponseModel):
    items: list[EventOut]
    next_after: int | None = Field(description="Pass as `after` for the next page.")
