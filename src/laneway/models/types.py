"""Column types that differ per backend but mean the same thing."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import JSON, BigInteger, String
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import Text, TypeDecorator, TypeEngine

# Ranks compare byte by byte; PostgreSQL's default collation would order "B" after "a".
RANK_LENGTH = 255
RankString = String(RANK_LENGTH).with_variant(String(RANK_LENGTH, collation="C"), "postgresql")

Json = JSON().with_variant(JSONB(), "postgresql")


class IdList(TypeDecorator[list[int]]):
    """A small sorted list of ids on the row itself (a task's labels).

    An array with a GIN index on PostgreSQL, JSON text on SQLite. Keeping labels on the task row
    makes a create or an edit one statement instead of three.
    """

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(BigInteger()))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: list[int] | None, dialect: Dialect) -> Any:
        ids = sorted(set(value or ()))
        return ids if dialect.name == "postgresql" else orjson.dumps(ids).decode()

    def process_result_value(self, value: Any, dialect: Dialect) -> list[int]:
        if value is None:
            return []
        if isinstance(value, str):
            loaded: list[int] = orjson.loads(value)
            return loaded
        return list(value)
