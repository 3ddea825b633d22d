"""Task writes in one statement on PostgreSQL: the project's counter, the task and its event.

The project's counter row orders its writers (see ProjectCounter): whoever holds it holds the
project's write lock until commit. Taking it in the same statement that writes the task and
appends the event holds it for that one round trip and the commit, instead of across every
read a write needs. Those reads (is the status ours, where does the task go) happen before,
without the lock; ranks.spread_between keeps two writers that read the same neighbours from
choosing the same rank, and the task's version still refuses a lost update: the UPDATE
re-checks the version the write read against the newest committed row (a 412 for an explicit
If-Match; with `If-Match: *` the edit starts over from the newer row,
edits.redone_while_changed), so `*` takes the lock for one round trip too.

A lock per project inside each process (so PostgreSQL sees one waiter per worker) was
measured against this and left out: with the lock held for one round trip, the bench's moves
already leave about 0.1 backends waiting (sampled every 10 ms; 24 before, when `If-Match: *`
took it first), and queueing in the process instead gained no throughput.

SQLite runs one writer at a time in-process, where round trips cost little: its writes keep
the plain sequence (tasks/service.py).

When the write is all the request writes (`alone`: no Idempotency-Key record goes with it), the
statement commits by itself (db.single_statement_autocommit, the one exception to the
request-owned transaction): it changes all or nothing, and the lock goes as it ends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    bindparam,
    cast,
    func,
    insert,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from laneway.commits import RecordedEvent, pending
from laneway.db import core, single_statement_autocommit
from laneway.errors import Conflict, NotFound, PreconditionFailed
from laneway.models import Event, Label, Membership, Project, ProjectCounter, Task
from laneway.models.event_payloads import TaskChanges, TaskSnapshot
from laneway.models.event_types import TaskEventType

_CHANGED = (
    "Something this task refers to changed while it was written (a status, label, parent "
    "task or member was removed, or the project archived); reload and try again."
)
_TASK = Task.__table__
_COLUMNS = list(_TASK.columns)
_EVENT = Event.__table__
_EVENT_COLUMNS = [
    "project_id",
    "seq",
    "type",
    "actor_id",
    "subject_id",
    "task_id",
    "changes",
    "snapshot",
    "created_at",
]


@dataclass(frozen=True, slots=True)
class Guards:
    """What the write's earlier checks read without the lock and must still hold under it."""

    project_id: int
    label_ids: Sequence[int] = ()
    assignee_id: int | None = None

    def params(self) -> dict[str, Any]:
        labels = sorted(set(self.label_ids))
        return {
            "p_project": self.project_id,
            "p_labels": labels,
            "p_label_count": len(labels),
            "p_assignee": self.assignee_id,
        }


# Statements are built once per shape with bound parameters: building one costs more than
# sending it, and a built statement is compiled once too (SQLAlchemy's compiled cache).
# Parameter names start with p_ or v_, never a column's name: an UPDATE executed with a
# parameter named like one of its table's columns would also SET that column.


def _counter() -> Any:
    """The project's counter row, locked (the project's write lock), with the next event
    number and task number. A locking read returns the newest committed row."""
    return (
        select(
            (ProjectCounter.event_seq + 1).label("event_seq"),
            (ProjectCounter.task_seq + 1).label("task_seq"),
        )
        .where(ProjectCounter.project_id == bindparam("p_project"))
        .with_for_update(key_share=True)
        .cte("counter")
    )


def _count(written: Any, *, tasks: bool) -> Any:
    """The counter moves on only if the row was written: when nothing is (a version or a
    check failed), the statement changes nothing at all, so it may commit on its own."""
    values: dict[str, Any] = {"event_seq": ProjectCounter.event_seq + 1}
    if tasks:
        values["task_seq"] = ProjectCounter.task_seq + 1
    return (
        update(ProjectCounter)
        .where(
            ProjectCounter.project_id == bindparam("p_project"),
            select(written.c.id).exists(),
        )
        .values(**values)
        .returning(ProjectCounter.event_seq)
        .cte("counted")
    )


def _still_true(counter: Any, *, labels: bool, assignee: bool) -> ColumnElement[bool]:
    """True if, once this statement holds the project's lock, the project is not archived,
    the labels are still the project's and the assignee still a member.

    The statement's snapshot was taken before it waited for the lock, so a plain read could
    miss a change committed meanwhile. A locking read (FOR SHARE) re-checks the newest
    committed row instead, and skips one deleted meanwhile; referring to the counter first
    makes it run after the lock is taken.
    """
    after_lock = select(counter.c.event_seq).scalar_subquery().is_not(None)
    project_id: Any = bindparam("p_project")
    checks: list[tuple[Select[Any], Any]] = [
        (
            select(Project.id)
            .where(after_lock, Project.id == project_id, Project.archived_at.is_(None))
            .with_for_update(read=True),
            1,
        )
    ]
    if labels:
        checks.append(
            (
                select(Label.id)
                .where(
                    after_lock,
                    Label.project_id == project_id,
                    Label.id.in_(bindparam("p_labels", expanding=True)),
                )
                .with_for_update(read=True, key_share=True),
                bindparam("p_label_count"),
            )
        )
    if assignee:
        checks.append(
            (
                select(Membership.user_id)
                .where(
                    after_lock,
                    Membership.project_id == project_id,
                    Membership.user_id == bindparam("p_assignee"),
                )
                .with_for_update(read=True, key_share=True),
                1,
            )
        )
    held = []
    for index, (locking, expected) in enumerate(checks):
        rows = locking.cte(f"guard_{index}")
        held.append(select(func.count()).select_from(rows).scalar_subquery() == expected)
    return and_(*held)


def _log(counter: Any, written: Any, snapshot: Any) -> Any:
    row = select(
        bindparam("p_project", type_=_EVENT.c.project_id.type),
        counter.c.event_seq,
        bindparam("p_event_type", type_=_EVENT.c.type.type),
        bindparam("p_actor", type_=_EVENT.c.actor_id.type),
        written.c.id,
        written.c.id,
        bindparam("p_changes", type_=_EVENT.c.changes.type),
        snapshot,
        bindparam("p_at", type_=_EVENT.c.created_at.type),
    ).select_from(counter.join(written, true()))
    return insert(Event).from_select(_EVENT_COLUMNS, row).returning(Event.seq).cte("logged")


def _value(name: str) -> Any:
    return bindparam(f"v_{name}", type_=_TASK.c[name].type)


@cache
def create_statement(*, labels: bool, assignee: bool) -> Select[Any]:
    counter = _counter()
    ok = _still_true(counter, labels=labels, assignee=assignee)
    names = [c.name for c in _COLUMNS if c.name not in ("id", "number")]
    created = (
        insert(Task)
        .from_select(
            [*names, "number"],
            select(*(_value(name) for name in names), counter.c.task_seq).where(ok),
        )
        .returning(*_COLUMNS)
        .cte("created")
    )
    # the snapshot is the task's JSON; only its id and number come from this statement
    snapshot = cast(bindparam("p_snapshot", type_=JSONB), JSONB).op("||")(
        func.jsonb_build_object(
            "id",
            created.c.id,
            "number",
            bindparam("p_number_prefix", type_=String) + cast(created.c.number, String),
        )
    )
    return (
        select(created, counter.c.event_seq, ok.label("guards_held"))
        .select_from(counter.outerjoin(created, true()))
        .add_cte(_log(counter, created, snapshot))
        .add_cte(_count(created, tasks=True))
    )


@cache
def update_statement(columns: tuple[str, ...], *, labels: bool, assignee: bool) -> Select[Any]:
    counter = _counter()
    ok = _still_true(counter, labels=labels, assignee=assignee)
    changed = (
        update(Task)
        # the counter first (an InitPlan), then the row: the order every writer takes locks in
        .where(ok, Task.id == bindparam("p_task"), Task.version == bindparam("p_version"))
        .values({name: _value(name) for name in columns})
        .returning(*_COLUMNS)
        .cte("changed")
    )
    snapshot = bindparam("p_snapshot", type_=_EVENT.c.snapshot.type)
    return (
        select(changed, counter.c.event_seq, ok.label("guards_held"))
        .select_from(counter.outerjoin(changed, true()))
        .add_cte(_log(counter, changed, snapshot))
        .add_cte(_count(changed, tasks=False))
    )


def _task(row: Any) -> Task:
    return Task(**{c.name: row._mapping[c.name] for c in _COLUMNS})


async def _run(
    session: AsyncSession, statement: Select[Any], params: dict[str, Any], *, alone: bool
) -> Any:
    """The statement's one row: the written task's columns (None if nothing was written),
    the event's number and whether the guards held.

    `alone`: nothing else in the request writes, so the statement commits by itself (it
    changes all or nothing) and the project's lock is released as it ends, not a COMMIT's
    round trip later: the time one project's writers queue for. What the request read before
    is committed first (it only read)."""
    try:
        if alone:
            connection = await single_statement_autocommit(session)
            row = (await connection.execute(statement, params)).first()
        else:
            row = (await core(session).execute(statement, params)).first()
    except IntegrityError as error:  # a status or parent task deleted meanwhile
        raise Conflict(_CHANGED) from error
    if row is None:
        raise NotFound("No such project.")
    if row.id is None and not row.guards_held:
        raise Conflict(_CHANGED)
    return row


async def create(
    session: AsyncSession,
    guards: Guards,
    actor_id: int,
    values: dict[str, Any],
    snapshot: TaskSnapshot,
    number_prefix: str,
    *,
    alone: bool,
) -> Task:
    statement = create_statement(
        labels=bool(guards.label_ids), assignee=guards.assignee_id is not None
    )
    params = {
        **guards.params(),
        **{f"v_{name}": value for name, value in values.items()},
        "p_actor": actor_id,
        "p_event_type": "task.created",
        "p_changes": {},
        "p_snapshot": snapshot,
        "p_at": values["created_at"],
        "p_number_prefix": number_prefix,
    }
    row = await _run(session, statement, params, alone=alone)
    task = _task(row)
    final: TaskSnapshot = {**snapshot, "id": task.id, "number": f"{number_prefix}{task.number}"}
    _published(
        session,
        guards.project_id,
        row.event_seq,
        "task.created",
        actor_id,
        task.id,
        {},
        final,
        values["created_at"],
    )
    return task


async def write(
    session: AsyncSession,
    guards: Guards,
    actor_id: int,
    task_id: int,
    version: int,
    values: dict[str, Any],
    event_type: TaskEventType,
    changes: TaskChanges,
    snapshot: TaskSnapshot,
    *,
    alone: bool,
) -> Task:
    """The task changed and its event appended; 412 if its version moved on (the error rolls
    the transaction back, the counter's increment with it)."""
    statement = update_statement(
        tuple(sorted(values)),
        labels=bool(guards.label_ids),
        assignee=guards.assignee_id is not None,
    )
    params = {
        **guards.params(),
        **{f"v_{name}": value for name, value in values.items()},
        "p_task": task_id,
        "p_version": version,
        "p_actor": actor_id,
        "p_event_type": event_type,
        "p_changes": changes,
        "p_snapshot": snapshot,
        "p_at": values["updated_at"],
    }
    row = await _run(session, statement, params, alone=alone)
    if row.id is None:
        raise PreconditionFailed("The task changed; reload it and apply your change again.")
    _published(
        session,
        guards.project_id,
        row.event_seq,
        event_type,
        actor_id,
        task_id,
        changes,
        snapshot,
        values["updated_at"],
    )
    return _task(row)


def _published(
    session: AsyncSession,
    project_id: int,
    seq: int,
    event_type: TaskEventType,
    actor_id: int,
    task_id: int,
    changes: TaskChanges,
    snapshot: TaskSnapshot,
    at: datetime,
) -> None:
    pending(session).events.append(
        RecordedEvent(
            project_id, seq, event_type, actor_id, task_id, task_id, changes, snapshot, at
        )
    )
