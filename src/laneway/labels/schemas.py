from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

from laneway.kit.schemas import ONE_LINE, RequestModel, ResponseModel, Text

Color = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]
LabelName = Annotated[Text, StringConstraints(min_length=1, max_length=60), ONE_LINE]


class LabelCreateIn(RequestModel):
    name: LabelName
    color: Color | None = None


class LabelUpdateIn(RequestModel):
    name: LabelName | None = None
    color: Color | None = None


class LabelOut(ResponseModel):
    id: int
    project_id: int
    name: str
    color: str
