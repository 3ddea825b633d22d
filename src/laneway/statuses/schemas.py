from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from laneway.kit.schemas import ONE_LINE, Int32, RequestModel, ResponseModel, Text
from laneway.models import StatusCategory

StatusName = Annotated[Text, StringConstraints(min_length=1, max_length=60), ONE_LINE]
CategoryIn = Annotated[StatusCategory, Field(strict=False)]
WipLimit = Annotated[int, Field(ge=1, le=10_000)]


class StatusCreateIn(RequestModel):
    name: StatusName
    category: CategoryIn = StatusCategory.started
    wip_limit: WipLimit | None = None
    position: Int32 | None = None


class StatusUpdateIn(RequestModel):
    name: StatusName | None = None
    category: CategoryIn | None = None
    wip_limit: WipLimit | None = None
    clear_wip_limit: bool = False
    position: Int32 | None = None


class StatusOut(ResponseModel):
    id: int
    project_id: int
    name: str
    category: StatusCategory
    position: int
    wip_limit: int | None
    count: int = Field(description="Live (not archived) tasks in this status, kept exact.")
