from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints


class RequestModel(BaseModel):
    """Request bodies: unknown fields are refused and nothing is coerced (`false` is no integer)."""

    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def _normalize_email(value: str) -> str:
    return value.strip().lower()


# Deliberately permissive: self-hosted teams use internal domains (corp.local, lan) that strict
# validators reject as "special use"; an address either receives mail or the invite fails.
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$"),
    AfterValidator(_normalize_email),
]
