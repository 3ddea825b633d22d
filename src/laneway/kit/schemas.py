from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    StringConstraints,
)
from pydantic_core import core_schema

from laneway.kit.text import is_one_line, one_line


class RequestModel(BaseModel):
    """Request bodies: unknown fields are refused and nothing is coerced (`false` is no integer)."""

    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# The widest numbers the columns hold: ids and event numbers are BIGINT (SQLite's INTEGER is
# 64-bit too); positions, limits, task numbers and estimates are 32-bit INTEGER. Anything wider
# is refused by the schema (422, stated in the OpenAPI document) instead of failing in the driver.
MAX_BIGINT = 2**63 - 1
MAX_INT32 = 2**31 - 1

Id = Annotated[int, Field(ge=1, le=MAX_BIGINT)]
Seq = Annotated[int, Field(ge=0, le=MAX_BIGINT)]
Int32 = Annotated[int, Field(ge=0, le=MAX_INT32)]

# PostgreSQL text cannot hold NUL, and no name, title or key needs one: no request string may
# carry it, on either backend, so both answer alike. (Unpaired surrogates are refused by
# pydantic itself.) Constrain further by stacking: Annotated[Text, StringConstraints(...)].
NO_NUL = r"^[^\x00]*$"
Text = Annotated[str, StringConstraints(pattern=NO_NUL)]


def _one_line(value: str) -> str:
    if not is_one_line(value):
        raise ValueError("must be one line: no line breaks, tabs or other control characters")
    return value


def _made_one_line(value: object) -> object:
    return one_line(value) if isinstance(value, str) else value


# Names and titles (kit/text.py says why): ONE_LINE, stacked after a type's length constraints
# (pydantic words their errors well only when they come first), refuses a line break with a
# 422 that says so; data from elsewhere (an import) stacks MADE_ONE_LINE on the same type to be
# made one line instead.
ONE_LINE = AfterValidator(_one_line)
MADE_ONE_LINE = BeforeValidator(_made_one_line)

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_date(value: object) -> object:
    """Lax date parsing would read 0 or "0" as 1970-01-01: only a date as YYYY-MM-DD is one."""
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        return value
    raise ValueError("expected a date as YYYY-MM-DD")


IsoDate = Annotated[date, BeforeValidator(_iso_date), Field(strict=False)]


def _normalize_email(value: str) -> str:
    return value.strip().lower()


# Deliberately permissive: self-hosted teams use internal domains (corp.local, lan) that strict
# validators reject as "special use"; an address either receives mail or the invite fails.
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=320, pattern=r"^[^@\s\x00]+@[^@\s\x00]+$"),
    AfterValidator(_normalize_email),
]


class Stated:
    """`Annotated[T, Stated()]`: the OpenAPI document states T, and the value passes as it is,
    neither validated nor rebuilt on its way out. For JSON the server wrote itself and keeps
    as is (an event's payloads, stored in the log): reading it back must never reject or
    reshape what was once written, and T (a TypedDict) is what the type checker holds."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        stated = handler(source)
        return core_schema.any_schema(
            metadata={"pydantic_js_annotation_functions": [lambda _c, h: h(stated)]},
            # serialized as any JSON; naming `stated` here keeps its definitions in the schema
            serialization=core_schema.wrap_serializer_function_ser_schema(_as_is, schema=stated),
        )


def _as_is(value: Any, _handler: Any) -> Any:
    return value
