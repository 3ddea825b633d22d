"""ETags from row versions, and the If-Match rules for writes."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Header

from laneway.errors import PreconditionFailed, PreconditionRequired
from laneway.kit.schemas import Text


def etag(version: int) -> str:
    return f'"v{version}"'


IfMatch = Annotated[
    Text | None,
    Header(
        alias="If-Match",
        description='Required: the ETag you last saw (or "*" to overwrite whatever is there).',
    ),
]
IfNoneMatch = Annotated[Text | None, Header(alias="If-None-Match")]
# ASCII digits only (str.isdigit() takes "²", which int() refuses); versions are 32-bit.
_VERSION = re.compile(r'(?:W/)?"v([0-9]{1,10})"')


def expected_version(if_match: str | None) -> int | None:
    """The version the client saw; None means "*" (any). Missing If-Match is a 428."""
    if if_match is None:
        raise PreconditionRequired(
            "Send If-Match with the task's ETag so a concurrent change is never overwritten."
        )
    values = [v.strip() for v in if_match.split(",")]
    if "*" in values:
        return None
    for value in values:
        if match := _VERSION.fullmatch(value):
            return int(match[1])
    raise PreconditionFailed("If-Match does not name a version of this task.")


def check(version: int, expected: int | None) -> None:
    if expected is not None and expected != version:
        raise PreconditionFailed(
            f"The task changed (now {etag(version)}); reload it and apply your change again."
        )


def matches(if_none_match: str | None, version: int) -> bool:
    if if_none_match is None:
        return False
    tags = {v.strip().removeprefix("W/") for v in if_none_match.split(",")}
    return "*" in tags or etag(version) in tags
