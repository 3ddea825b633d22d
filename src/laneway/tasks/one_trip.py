"""Task writes in one statement on PostgreSQL: the project's counter, the task and its event.

The project's counter row orders its writers (see ProjectCounter): whoever holds it holds the
project's write lock until commit. Taking it in the same statement that writes the task and
appends the event holds it for that one round trip and the commit, instead of across every
read a write needs. Those reads (is the status ours, where does the task go) happen before,
without the lock; ranks.spread_between keeps two writers that read the same neighbours from
choosing the same rank, and the task's version (If-Match) still refuses a lost update: the
UPDATE re-checks it against the newest committed row.

SQLite runs one writer at a time in-process, where round trips cost little: its writes keep
the plain sequence (tasks/service.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
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
    literal,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from laneway.commits import RecordedEvent, pending
from laneway.errors import Conflict, NotFound, PreconditionFailed
from laneway.models import Event, Label, Membership, Project, ProjectCounter, Task

_CHANGED = (
    "Something this task refers to changed while it was written (a status, label, parent "
    "task or member was removed, or the project archived); reload and try again."
)
_TASK = Task.__table__
_COLUMNS = list(_TASK.columns)


def _bind(name: str, value: Any) -> Any:
    return bindparam(name, value, type_=_TASK.c[name].type)


def _counter(project_id: int, *, tasks: int) -> Any:
    values: dict[str, Any] = {"event_seq": ProjectCounter.event_seq + 1}
    if tasks:
        values["task_seq"] = ProjectCounter.task_seq + tasks
    return (
        update(ProjectCounter)
        .where(ProjectCounter.project_id == project_id)
        .values(**values)
        .returning(ProjectCounter.event_seq, ProjectCounter.task_seq)
        .cte("counter")
    )


@dataclass(frozen=True, slots=True)
class Guards:
    """What the write's earlier checks read without the lock and must still hold under it."""

    project_id: int
    label_ids: Sequence[int] = ()
    assignee_id: int | None = None


def _still_true(counter: Any, guards: Guards) -> ColumnElement[bool]:
    """True if, once this statement holds the project's lock, the project is not archived,
    the labels are still the project's and the assignee still a member.

    The statement's snapshot was taken before it waited for the lock, so a plain read could
    miss a change committed meanwhile. A locking read (FOR SHARE) re-checks the newest
    committed row instead, and skips one deleted meanwhile; referring to the counter first
    makes it run after the lock is taken.
    """
    after_lock = select(counter.c.event_seq).scalar_subquery().is_not(None)
    checks: list[tuple[Select[Any], int]] = [
        (
            select(Project.id)
            .where(after_lock, Project.id == guards.project_id, Project.archived_at.is_(None))
            .with_for_update(read=True),
            1,
        )
    ]
    if guards.label_ids:
        labels = set(guards.label_ids)
        checks.append(
            (
                select(Label.id)
                .where(after_lock, Label.project_id == guards.project_id, Label.id.in_(labels))
                .with_for_update(read=True, key_share=True),
                len(labels),
            )
        )
    if guards.assignee_id is not None:
        checks.append(
            (
                select(Membership.user_id)
                .where(
                    after_lock,
                    Membership.project_id == guards.project_id,
                    Membership.user_id == guards.assignee_id,
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


def _log(
    counter: Any,
    written: Any,
    *,
    project_id: int,
    type: str,
    actor_id: int,
    changes: Any,
    snapshot: Any,
    now: datetime,
) -> Any:
    row = select(
        literal(project_id),
        counter.c.event_seq,
        literal(type),
        literal(actor_id),
        written.c.id,
        written.c.id,
        bindparam("event_changes", changes, type_=Event.__table__.c.changes.type),
        snapshot,
        bindparam("event_at", now, type_=Event.__table__.c.created_at.type),
    ).select_from(counter.join(written, true()))
    columns = [
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
    return insert(Event).from_select(columns, row).returning(Event.seq).cte("logged")


def create_statement(
    guards: Guards,
    actor_id: int,
    values: dict[str, Any],
    snapshot: dict[str, Any],
    number_prefix: str,
) -> Select[Any]:
    project_id = guards.project_id
    counter = _counter(project_id, tasks=1)
    ok = _still_true(counter, guards)
    names = [c.name for c in _COLUMNS if c.name not in ("id", "number")]
    created = (
        insert(Task)
        .from_select(
            [*names, "number"],
            select(*(_bind(name, values[name]) for name in names), counter.c.task_seq).where(ok),
        )
        .returning(*_COLUMNS)
        .cte("created")
    )
    # the snapshot is the task's JSON; only its id and number come from this statement
    final = cast(bindparam("event_snapshot", snapshot, type_=JSONB), JSONB).op("||")(
        func.jsonb_build_object(
            "id", created.c.id, "number", literal(number_prefix) + cast(created.c.number, String)
        )
    )
    logged = _log(
        counter,
        created,
        project_id=project_id,
        type="task.created",
        actor_id=actor_id,
        changes={},
        snapshot=final,
        now=values["created_at"],
    )
    return (
        select(created, counter.c.event_seq, ok.label("guards_held"))
        .select_from(counter.outerjoin(created, true()))
        .add_cte(logged)
    )


def update_statement(
    guards: Guards,
    actor_id: int,
    task_id: int,
    version: int,
    values: dict[str, Any],
    event_type: str,
    changes: dict[str, Any],
    snapshot: dict[str, Any],
) -> Select[Any]:
    project_id = guards.project_id
    counter = _counter(project_id, tasks=0)
    ok = _still_true(counter, guards)
    changed = (
        update(Task)
        # the counter first (an InitPlan), then the row: the order every writer takes locks in
        .where(ok, Task.id == task_id, Task.version == version)
        .values(**values)
        .returning(*_COLUMNS)
        .cte("changed")
    )
    logged = _log(
        counter,
        changed,
        project_id=project_id,
        type=event_type,
        actor_id=actor_id,
        changes=changes,
        snapshot=bindparam("event_snapshot", snapshot, type_=Event.__table__.c.snapshot.type),
        now=values["updated_at"],
    )
    return (
        select(changed, counter.c.event_seq, ok.label("guards_held"))
        .select_from(counter.outerjoin(changed, true()))
        .add_cte(logged)
    )


def _task(row: Any) -> Task:
    return Task(**{c.name: row._mapping[c.name] for c in _COLUMNS})


async def _run(session: AsyncSession, statement: Select[Any]) -> Any:
    """The statement's one row: the written task's columns (None if nothing was written),
    the event's number and whether the guards held."""
    try:
        row = (await session.execute(statement)).first()
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
    snapshot: dict[str, Any],
    number_prefix: str,
) -> Task:
    project_id = guards.project_id
    row = await _run(session, create_statement(guards, actor_id, values, snapshot, number_prefix))
    task = _task(row)
    final = {**snapshot, "id": task.id, "number": f"{number_prefix}{task.number}"}
    _published(
        session,
        project_id,
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
    event_type: str,
    changes: dict[str, Any],
    snapshot: dict[str, Any],
) -> Task:
    """The task changed and its event appended; 412 if its version moved on (the error rolls
    the transaction back, the counter's increment with it)."""
    project_id = guards.project_id
    statement = update_statement(
        guards, actor_id, task_id, version, values, event_type, changes, snapshot
    )
    row = await _run(session, statement)
    if row.id is None:
        raise PreconditionFailed("The task changed; reload it and apply your change again.")
    _published(
        session,
        project_id,
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
    event_type: str,
    actor_id: int,
    task_id: int,
    changes: dict[str, Any],
    snapshot: dict[str, Any],
    at: datetime,
) -> None:
    pending(session).events.append(
        RecordedEvent(
            project_id, seq, event_type, actor_id, task_id, task_id, changes, snapshot, at
        )
    )
