from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BeforeValidator, Field, StringConstraints

from laneway.kit.schemas import ONE_LINE, Email, RequestModel, ResponseModel, Text
from laneway.models import Role


def _upper(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


ProjectKey = Annotated[
    str, BeforeValidator(_upper), StringConstraints(pattern=r"^[A-Z][A-Z0-9]{1,9}$")
]
ProjectName = Annotated[Text, StringConstraints(min_length=1, max_length=200), ONE_LINE]
Description = Annotated[Text, StringConstraints(max_length=20_000)]


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


# Strict models take JSON strings for enums only when the field says so.
RoleIn = Annotated[Role, Field(strict=False)]


class MemberIn(RequestModel):
    email: Email
    role: RoleIn = Role.member


class MemberUpdateIn(RequestModel):
    role: RoleIn


class MemberOut(ResponseModel):
    user_id: int
    email: str
    name: str
    username: str = Field(description="What an @mention names.")
    role: Role
    created_at: datetime
