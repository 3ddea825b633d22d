"""Task list and search: filters, sorts and keyset pagination in one statement.

Text search uses the index of each backend: a weighted tsvector with a GIN index on PostgreSQL,
an FTS5 table on SQLite. Every word must match (as a prefix), so results agree on both.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal

from cachetools import LRUCache
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    FromClause,
    Integer,
    Row,
    Select,
    String,
    and_,
    bindparam,
    column,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy import tuple_ as sql_tuple
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import type_coerce

from laneway.db import core
from laneway.errors import UnprocessableContent
from laneway.kit.cursor import CursorCodec
from laneway.kit.schemas import Id, IsoDate, Text
from laneway.models import Status, Task, User
from laneway.tasks.schemas import PriorityName

Sort = Literal[
    "rank",
    "-rank",
    "number",
    "-number",
    "title",
    "-title",
    "status",
    "-status",
    "assignee",
    "-assignee",
    "created",
    "-created",
    "updated",
    "-updated",
    "due",
    "-due",
    "priority",
    "-priority",
    "relevance",
]
MAX_LIMIT = 200
_WORD = re.compile(r"\w+", re.UNICODE)
_NO_DUE = date(9999, 12, 31)
# Sorts last among names: the largest code point, whose UTF-8 bytes are larger than any other's.
NO_ASSIGNEE = "\U0010ffff"


class TaskFilter(BaseModel):
    """Which tasks: the query string of the task counts, and the filters of the task list.
    Unknown parameters are refused."""

    model_config = ConfigDict(extra="forbid")

    status: list[Id] = Field(default_factory=list)
    assignee: list[Id] = Field(default_factory=list)
    unassigned: bool = False
    reporter: list[Id] = Field(default_factory=list)
    label: list[Id] = Field(default=[], description="Tasks with every one of these labels.")
    priority: list[PriorityName] = Field(default_factory=list)
    parent: Id | None = None
    due_before: IsoDate | None = None
    due_after: IsoDate | None = None
    archived: bool = Field(default=False, description="true lists archived tasks instead.")
    q: Annotated[Text, Field(max_length=200)] | None = None

    def words(self) -> list[str]:
        return _WORD.findall(self.q.lower())[:16] if self.q else []


class TaskQuery(TaskFilter):
    """Query string of the task list. Unknown parameters are refused."""

    sort: Sort | None = Field(
        default=None,
        description=(
            "Default: relevance with q, else rank. A leading - reverses. `title` compares code "
            "points with A-Z folded to lowercase; `assignee` sorts by name, unassigned last; "
            "`status` by the workflow's order."
        ),
    )
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)] = 50
    cursor: Annotated[Text, Field(max_length=1000)] | None = None

    def effective_sort(self) -> Sort:
        if self.sort is not None:
            return self.sort
        return "relevance" if self.words() else "rank"

    def scope(self, project_id: int) -> str:
        """What a cursor is valid for: this project, this sort, these filters."""
        filters = self.model_dump_json(exclude={"limit", "cursor", "sort"}) + self.effective_sort()
        return f"tasks:{project_id}:{hashlib.sha256(filters.encode()).hexdigest()[:16]}"


@dataclass(frozen=True, slots=True)
class _TextMatch:
    condition: ColumnElement[bool]
    relevance: ColumnElement[Any]  # larger is better
    join: FromClause | None = None  # joined to tasks on its rowid (SQLite's FTS5 table)


def _text_match(dialect: str) -> _TextMatch:
    """Matches the words bound as `p_match` (see `_match`)."""
    match: Any = bindparam("p_match", type_=String())
    if dialect == "postgresql":
        query = func.to_tsquery("simple", match)
        vector: ColumnElement[Any] = literal_column("tasks.search")
        return _TextMatch(vector.op("@@")(query), func.ts_rank(vector, query))
    fts = table("tasks_fts", column("rowid"), column("rank"), column("tasks_fts")).alias("fts")
    # Joined, not a subquery: one pass over the index, whose rows other than this project's
    # cost a primary-key look-up and are dropped before FTS5 computes their rank (bm25,
    # smaller is better: negated so that larger is better on both backends).
    return _TextMatch(fts.c.tasks_fts.op("MATCH")(match), -fts.c.rank, fts)


def _match(dialect: str, words: Sequence[str]) -> str:
    if dialect == "postgresql":
        return " & ".join(f"{w}:*" for w in words)
    return " ".join(f'"{w}"*' for w in words)


def label_filter(dialect: str, label_ids: Sequence[int]) -> ColumnElement[bool]:
    if dialect == "postgresql":
        return type_coerce(Task.label_ids, ARRAY(BigInteger())).contains(sorted(set(label_ids)))
    return _sqlite_labels([literal(label_id) for label_id in set(label_ids)])


def _sqlite_labels(label_ids: Sequence[Any]) -> ColumnElement[bool]:
    conditions = []
    for label_id in label_ids:
        each = func.json_each(Task.label_ids).table_valued("value")
        conditions.append(select(1).select_from(each).where(each.c.value == label_id).exists())
    return and_(*conditions)


def _folded(dialect: str, value: Any) -> ColumnElement[str]:
    """Text in code point order with ASCII letters folded to lowercase, the same on both backends
    and in the web app (list/order.ts): PostgreSQL's "C" collation compares bytes and folds only
    A-Z, which is what SQLite's lower() and its default collation do."""
    if dialect == "postgresql":
        value = value.collate("C")
    return func.lower(value)


def _sort_keys(sort: Sort, relevance: Any, dialect: str) -> list[Any]:
    key = sort.removeprefix("-")
    if key == "status":
        position = select(Status.position).where(Status.id == Task.status_id)
        return [position.scalar_subquery(), Task.id]
    if key == "assignee":
        name = select(_folded(dialect, User.name)).where(User.id == Task.assignee_id)
        return [func.coalesce(name.scalar_subquery(), NO_ASSIGNEE, type_=String()), Task.id]
    first: Any = {
        "rank": Task.rank,
        "number": Task.number,
        "title": _folded(dialect, Task.title),
        "created": Task.created_at,
        "updated": Task.updated_at,
        "due": func.coalesce(Task.due_date, _NO_DUE),
        "priority": Task.priority,
        "relevance": relevance,
    }[key]
    return [first, Task.id]


def _decode_position(sort: Sort, position: list[Any]) -> list[Any]:
    try:
        value, task_id = position
        key = sort.removeprefix("-")
        if key in ("created", "updated"):
            value = datetime.fromisoformat(value)
        elif key == "due":
            value = date.fromisoformat(value)
        elif key == "relevance":
            value = float(value)
        elif key in ("priority", "number", "status"):
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError
        elif not isinstance(value, str):
            raise TypeError
        return [value, int(task_id)]
    except (TypeError, ValueError):
        raise UnprocessableContent("The cursor is not valid for this list.") from None


@dataclass(frozen=True, slots=True)
class _Shape:
    """What a list's statement depends on other than values, which are bound parameters:
    the statement is built once per shape (building it is most of a list's own CPU time)."""

    dialect: str
    archived: bool
    status: bool
    assignee: bool
    unassigned: bool
    reporter: bool
    labels: int  # PostgreSQL binds the whole list (0 or 1), SQLite one EXISTS per label
    priority: bool
    parent: bool
    due_before: bool
    due_after: bool
    text: bool
    sort: Sort
    cursor: bool


_STATEMENTS: LRUCache[_Shape, Select[Any]] = LRUCache(maxsize=512)


def _conditions(shape: _Shape) -> tuple[list[ColumnElement[bool]], _TextMatch | None]:
    """The filters' conditions, and the text match when there is one."""
    conditions: list[ColumnElement[bool]] = [Task.project_id == bindparam("p_project")]
    conditions.append(
        Task.archived_at.is_not(None) if shape.archived else Task.archived_at.is_(None)
    )
    if shape.status:
        conditions.append(Task.status_id.in_(bindparam("p_status", expanding=True)))
    if shape.assignee or shape.unassigned:
        either: list[ColumnElement[bool]] = []
        if shape.assignee:
            either.append(Task.assignee_id.in_(bindparam("p_assignee", expanding=True)))
        if shape.unassigned:
            either.append(Task.assignee_id.is_(None))
        conditions.append(or_(*either))
    if shape.reporter:
        conditions.append(Task.reporter_id.in_(bindparam("p_reporter", expanding=True)))
    if shape.labels and shape.dialect == "postgresql":
        labels = type_coerce(Task.label_ids, ARRAY(BigInteger()))
        conditions.append(labels.contains(bindparam("p_labels", type_=ARRAY(BigInteger()))))
    elif shape.labels:
        conditions.append(
            _sqlite_labels(
                [bindparam(f"p_label_{i}", type_=Integer()) for i in range(shape.labels)]
            )
        )
    if shape.priority:
        conditions.append(Task.priority.in_(bindparam("p_priority", expanding=True)))
    if shape.parent:
        conditions.append(Task.parent_id == bindparam("p_parent"))
    if shape.due_before:
        conditions.append(Task.due_date < bindparam("p_due_before"))
    if shape.due_after:
        conditions.append(Task.due_date > bindparam("p_due_after"))
    text_match: _TextMatch | None = None
    if shape.text:
        text_match = _text_match(shape.dialect)
        conditions.append(text_match.condition)
    return conditions, text_match


def _statement(shape: _Shape) -> Select[Any]:
    conditions, text_match = _conditions(shape)
    relevance = None if text_match is None else text_match.relevance
    # relevance ranks best first; every other sort is ascending unless prefixed with "-"
    sort = shape.sort
    descending = sort.startswith("-") or sort == "relevance"
    keys = _sort_keys(sort, relevance, shape.dialect)
    if shape.cursor:
        position = sql_tuple(bindparam("p_after_key", type_=keys[0].type), bindparam("p_after_id"))
        conditions.append(
            sql_tuple(*keys) < position if descending else sql_tuple(*keys) > position
        )
    order = [k.desc() for k in keys] if descending else [k.asc() for k in keys]
    # plain rows, not ORM objects: up to 200 per request, read once and serialized
    statement = select(*Task.__table__.columns, keys[0].label("sort_key"))
    if text_match is not None and text_match.join is not None:
        statement = statement.join(text_match.join, text_match.join.c.rowid == Task.id)
    return (
        statement.where(*conditions).order_by(*order).limit(bindparam("p_limit", type_=Integer()))
    )


def build(
    project_id: int, query: TaskQuery, dialect: str, codec: CursorCodec
) -> tuple[Select[Any], dict[str, Any], Sort]:
    """The list's statement (shared by every list of the same shape) and its parameters."""
    sort = query.effective_sort()
    words = query.words()
    if sort == "relevance" and not words:
        raise UnprocessableContent("sort=relevance needs a search text (q) with words in it.")
    shape, params = _filtered(
        project_id, query, dialect, sort=sort, cursor=query.cursor is not None
    )
    params["p_limit"] = query.limit + 1
    if query.cursor is not None:
        position = _decode_position(sort, codec.decode(query.scope(project_id), query.cursor))
        params["p_after_key"], params["p_after_id"] = position
    statement = _STATEMENTS.get(shape)
    if statement is None:
        statement = _STATEMENTS[shape] = _statement(shape)
    return statement, params, sort


def _filtered(
    project_id: int, query: TaskFilter, dialect: str, *, sort: Sort, cursor: bool
) -> tuple[_Shape, dict[str, Any]]:
    """The statement's shape and the filters' parameters."""
    words = query.words()
    labels = sorted(set(query.label))
    shape = _Shape(
        dialect=dialect,
        archived=query.archived,
        status=bool(query.status),
        assignee=bool(query.assignee),
        unassigned=query.unassigned,
        reporter=bool(query.reporter),
        labels=(min(len(labels), 1) if dialect == "postgresql" else len(labels)),
        priority=bool(query.priority),
        parent=query.parent is not None,
        due_before=query.due_before is not None,
        due_after=query.due_after is not None,
        text=bool(words),
        sort=sort,
        cursor=cursor,
    )
    params: dict[str, Any] = {
        "p_project": project_id,
        "p_status": query.status,
        "p_assignee": query.assignee,
        "p_reporter": query.reporter,
        "p_labels": labels,
        "p_priority": [p.level for p in query.priority],
        "p_parent": query.parent,
        "p_due_before": query.due_before,
        "p_due_after": query.due_after,
    }
    params.update({f"p_label_{i}": label for i, label in enumerate(labels)})
    if words:
        params["p_match"] = _match(dialect, words)
    return shape, params


def _cursor_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


async def run(
    session: AsyncSession, project_id: int, query: TaskQuery, codec: CursorCodec
) -> tuple[list[Row[Any]], str | None]:
    dialect = session.get_bind().dialect.name
    statement, params, _sort = build(project_id, query, dialect, codec)
    rows = list(await core(session).execute(statement, params))
    page = rows[: query.limit]
    next_cursor = None
    if len(rows) > query.limit:
        last = page[-1]
        next_cursor = codec.encode(query.scope(project_id), [_cursor_value(last.sort_key), last.id])
    return page, next_cursor


_COUNTS: LRUCache[_Shape, Select[int, int]] = LRUCache(maxsize=128)


def _count_statement(shape: _Shape) -> Select[int, int]:
    conditions, text_match = _conditions(shape)
    statement = select(Task.status_id, func.count().label("tasks"))
    if text_match is not None and text_match.join is not None:
        statement = statement.join(text_match.join, text_match.join.c.rowid == Task.id)
    return statement.where(*conditions).group_by(Task.status_id)


async def counts(session: AsyncSession, project_id: int, query: TaskFilter) -> dict[int, int]:
    """How many tasks match the filters, by status (statuses with none are left out)."""
    dialect = session.get_bind().dialect.name
    # counting has no order: the shape's sort and cursor are fixed
    shape, params = _filtered(project_id, query, dialect, sort="rank", cursor=False)
    statement = _COUNTS.get(shape)
    if statement is None:
        statement = _COUNTS[shape] = _count_statement(shape)
    return {row.status_id: row.tasks for row in await core(session).execute(statement, params)}
