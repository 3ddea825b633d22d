"""JSON bytes for hot responses, without building pydantic models per row.

The output matches pydantic's JSON for the same data (UTC datetimes end in "Z"), so the
declared response models stay a true description of these bodies (tests check that).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, overload

import orjson
from fastapi import Response

OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, option=OPTIONS)


def kept(value: Any) -> bytes:
    """JSON bytes to keep for long (a cache): orjson's bytes hold its whole output buffer, 4 KB
    or more however short the JSON, so a cache of them would hold ten times what it counts."""
    return memoryview(dumps(value)).tobytes()


@overload
def iso(value: date | datetime) -> str: ...
@overload
def iso(value: date | datetime | None) -> str | None: ...
def iso(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return value.isoformat()


def response(value: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(value), status_code, headers=headers, media_type="application/json")
