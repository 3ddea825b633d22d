"""ETags from row versions, and the If-Match rules for writes."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Header

from laneway.errors import MalformedIfMatch, PreconditionFailed, PreconditionRequired
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
# RFC 9110: If-Match is "*" or a list of entity tags, each quoted, optionally weak (W/"...")
_TAG = r'(?:W/)?"[\x21\x23-\x7e\x80-\xff]*"'
_TAG_LIST = re.compile(rf"{_TAG}(?:[ \t]*,[ \t]*{_TAG})*")
# ASCII digits only (str.isdigit() takes "²", which int() refuses); versions are 32-bit.
_VERSION = re.compile(r'(?:W/)?"v([0-9]{1,10})"')


def expected_version(if_match: str | None) -> int | None:
    """The version the client saw; None means "*" (any). Missing If-Match is a 428, one that
    is no list of quoted ETags a 400 (an unquoted v2 names no version: it is not a 412)."""
    if if_match is None:
        raise PreconditionRequired(
            "Send If-Match with the task's ETag so a concurrent change is never overwritten."
        )
    value = if_match.strip()
    if value == "*":
        return None
    if not _TAG_LIST.fullmatch(value):
        raise MalformedIfMatch(
            "If-Match takes the ETag exactly as the server sent it, quotes included "
            '(If-Match: "v2"), several separated by commas, or * to overwrite any version.'
        )
    for tag in re.findall(_TAG, value):
        if match := _VERSION.fullmatch(tag):
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
