from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import StringConstraints

from laneway.kit.schemas import Email, RequestModel, ResponseModel
from laneway.models import Role

ProjectKey = Annotated[
    str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]{1,9}$", to_upper=True, strip_whitespace=True)
]
ProjectName = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Description = Annotated[str, StringConstraints(max_length=20_000)]


class ProjectCreateIn(RequestModel):
    name: ProjectName
    key: ProjectKey | None = None
    description: Description = ""


class ProjectUpdateIn(RequestModel):
    name: ProjectName | None = None
    description: Description | None = None
    archived: bool | None = None


class ProjectOut(ResponseModel):
    id: int
    key: str
    name: str
    description: str
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime
    role: Role


class MemberIn(RequestModel):
    email: Email
    role: Role = Role.member


class MemberUpdateIn(RequestModel):
    role: Role


class MemberOut(ResponseModel):
    user_id: int
    email: str
    name: str
    role: Role
    created_at: datetime
