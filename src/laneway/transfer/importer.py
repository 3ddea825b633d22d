"""Import a project archive as a new project, all or nothing: a batch of rows per
transaction into a project that stays hidden (no members) until the last transaction adds its
members and ends the job (staging.py), so the import never holds the write lock for long.

Rows go in with multi-row INSERTs, a batch at a time, keeping what the services keep: the
project's counter holds the last task number and the last event's seq (so new tasks and events
continue after them), `status_counts` are kept by the database's triggers as tasks go in, ranks
are the archive's own (so each column's order is the same), and tasks are inserted in the
archive's order (equal ranks are ordered by id). Who the archive's people are here: people.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlalchemy import insert, update
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from laneway.db import Database
from laneway.errors import Conflict
from laneway.kit.savepoint import add_unique
from laneway.models import (
    Comment,
    Label,
    Membership,
    NotificationCursor,
    Project,
    ProjectCounter,
    Role,
    Status,
    StatusCount,
    Task,
    User,
)
from laneway.models.base import utcnow
from laneway.models.event_payloads import ProjectSnapshot
from laneway.projects import repository as project_repository
from laneway.projects import service as project_service
from laneway.projects.schemas import ProjectCreateIn
from laneway.transfer import checks, files, replay, repository, schema, staging
from laneway.transfer import people as people_of
from laneway.transfer.errors import TransferError
from laneway.transfer.people import People
from laneway.transfer.progress import SILENT, BeforeCommit, Progress
from laneway.transfer.schema import ArchiveIn, CommentIn, TaskIn

BATCH = 1000  # rows per INSERT: few statements, bounded memory per statement
KEY_STEM = 8  # room for two digits after a stem within the key's ten characters
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ImportResult:
    project_id: int
    key: str
    name: str
    members: int
    statuses: int
    labels: int
    tasks: int
    comments: int
    events: int
    # emails in the archive without an account here (their tasks are unassigned)
    unmatched_emails: list[str] = field(default_factory=list)
    # reporters and comment authors among them, who became the importing user
    reassigned: int = 0


async def import_project(
    database: Database,
    archive: files.Source | ArchiveIn,
    *,
    owner: int | str,
    key: str | None = None,
    name: str | None = None,
    progress: Progress = SILENT,
    before_commit: BeforeCommit | None = None,
    match_people: bool | None = None,
    stage: staging.Stage = staging.UNSTAGED,
) -> ImportResult:
    """Create a new project from a `laneway.project` archive; `owner` (a user id or an email)
    becomes its owner. `key` and `name` replace the archive's; without a key, the archive's
    is used when free, else one derived from it. `match_people`: whether other people named
    in it become the accounts with their emails (None: when the owner is an instance admin).
    Written a batch per transaction into a project nobody sees until the last one adds its
    members (staging.py). Refused archives raise TransferError (Conflict for a taken key) and
    leave nothing."""
    # reading and checking a file is CPU work: a thread, so the event loop keeps serving
    parsed = (
        archive
        if isinstance(archive, ArchiveIn)
        else await asyncio.to_thread(
            schema.parse, files.read(archive, schema.MAX_ARCHIVE_BYTES, "archive")
        )
    )
    await asyncio.to_thread(checks.check, parsed)
    wanted = _wanted(key, name)
    try:
        async with database.transaction() as session:
            importer = await repository.user(session, owner)
            if importer is None:
                raise TransferError(f"no account is {owner!r}: the owner must have an account here")
            given_name = wanted.name if name is not None else None
            match = importer.is_admin if match_people is None else match_people
            people = await people_of.of_archive(session, parsed, importer, match=match)
            opened = await _open(
                session, parsed, importer, people, wanted.key, given_name, progress
            )
            await stage.adopt(session, opened.project_id)
        try:
            result = await _fill(database, stage, parsed, opened, importer, people, progress)
            async with database.transaction() as session:
                await stage.check(session)
                # its members make it visible: to them, their lists, live streams, reminders
                await _members(session, opened.project_id, opened.member_roles)
                if before_commit is not None:
                    await before_commit(session, result)
        except Exception:
            if stage.discards:  # nothing of it stays
                with suppress(Exception):
                    await staging.discard(database, opened.project_id, stage.batch_rows)
            raise
        return result
    except (IntegrityError, DataError) as error:
        # what the checks above missed still ends as one line, with nothing written
        first_line = str(error.orig or error).splitlines()[0]
        raise TransferError(f"the archive could not be written: {first_line}") from None


def _wanted(key: str | None, name: str | None) -> ProjectCreateIn:
    """The key and name given instead of the archive's, checked as the API checks them."""
    try:
        return ProjectCreateIn(name=name if name is not None else "-", key=key)
    except ValidationError as error:
        if any(e["loc"] == ("key",) for e in error.errors()):
            raise TransferError(
                f"{key!r} is not a project key (2 to 10 letters and digits, starting with a letter)"
            ) from None
        raise TransferError(f"the project {schema.describe(error)}") from None


@dataclass(slots=True)
class Opened:
    """The hidden project the first transaction made, and what the batches need of it."""

    project_id: int
    key: str
    name: str
    snapshot: ProjectSnapshot  # project.created's, for a fresh history
    ids: replay.Ids
    member_roles: dict[int, tuple[Role, datetime]]
    events: int


async def _open(
    session: AsyncSession,
    archive: ArchiveIn,
    importer: User,
    people: People,
    key: str | None,
    name: str | None,
    progress: Progress,
) -> Opened:
    """The project with its statuses, labels and counters, and no member yet: hidden."""
    member_roles = people_of.member_roles(archive, importer, people)
    events = len(archive.events) or replay.fresh_count(archive, len(member_roles))
    progress.start(
        len(archive.statuses)
        + len(archive.labels)
        + len(archive.members)
        + len(archive.tasks)
        + len(archive.comments)
        + events
    )
    project = await _project(session, archive, key, name)
    # the last task number (deleted tasks' numbers are never given again) and the last event:
    # what the project's next task and event follow
    last_number = max([archive.project.last_task_number, *(t.number for t in archive.tasks)])
    await session.execute(
        insert(ProjectCounter).values(project_id=project.id, task_seq=last_number, event_seq=events)
    )
    # the imported history is the past: nobody is notified of it, due dates included
    await session.execute(
        insert(NotificationCursor).values(
            project_id=project.id, seq=events, imported_on=utcnow().date()
        )
    )
    ids = replay.Ids(project=project.id, users=people.ids)
    ids.statuses = await _statuses(session, project.id, archive)
    ids.labels = await _labels(session, project.id, archive)
    progress.advance(len(archive.statuses) + len(archive.labels) + len(archive.members))
    return Opened(
        project.id,
        project.key,
        project.name,
        project_service.project_snapshot(project),
        ids,
        member_roles,
        events,
    )


async def _fill(
    database: Database,
    stage: staging.Stage,
    archive: ArchiveIn,
    opened: Opened,
    importer: User,
    people: People,
    progress: Progress,
) -> ImportResult:
    """Tasks, comments and the history, a batch per transaction, into the hidden project."""
    ids, project_id, size = opened.ids, opened.project_id, stage.batch_rows
    for tasks in _chunks(archive.tasks, size):
        async with database.transaction() as session:
            await stage.check(session)
            ids.tasks |= await _tasks(session, project_id, tasks, ids, people, importer.id)
        progress.advance(len(tasks))
    parents = [
        {"id": ids.tasks[task.number], "parent_id": ids.tasks[task.parent]}
        for task in archive.tasks
        if task.parent is not None
    ]
    for chunk in _chunks(parents, size):
        async with database.transaction() as session:
            await stage.check(session)
            await session.execute(update(Task), chunk)
    for comments in _chunks(archive.comments, size):
        async with database.transaction() as session:
            await stage.check(session)
            ids.comments |= await _comments(session, project_id, comments, ids, people, importer.id)
        progress.advance(len(comments))
    if archive.events:
        inbound = replay.Inbound(ids, opened.key, people.unmatched)
        for start in range(0, len(archive.events), size):
            batch = archive.events[start : start + size]
            async with database.transaction() as session:
                await stage.check(session)
                await replay.events(session, batch, start + 1, inbound)
            progress.advance(len(batch))
    else:
        members = [
            Membership(project_id=project_id, user_id=user_id, role=role, created_at=created_at)
            for user_id, (role, created_at) in opened.member_roles.items()
        ]
        head = replay.Head(project_id, opened.key, opened.snapshot, importer.id, members)
        await replay.fresh(database, stage, head, progress)
    return ImportResult(
        project_id=project_id,
        key=opened.key,
        name=opened.name,
        members=len(opened.member_roles),
        statuses=len(archive.statuses),
        labels=len(archive.labels),
        tasks=len(archive.tasks),
        comments=len(archive.comments),
        events=opened.events,
        unmatched_emails=sorted(people.unmatched),
        reassigned=people.reassigned,
    )


async def _members(
    session: AsyncSession, project_id: int, roles: dict[int, tuple[Role, datetime]]
) -> list[Membership]:
    rows = [
        {"project_id": project_id, "user_id": user_id, "role": role, "created_at": created_at}
        for user_id, (role, created_at) in roles.items()
    ]
    await session.execute(insert(Membership), rows)
    return [Membership(**row) for row in rows]


async def _project(
    session: AsyncSession, archive: ArchiveIn, key: str | None, name: str | None
) -> Project:
    given = archive.project
    if key is not None and await project_repository.key_taken(session, key):
        raise Conflict(f"The project key {key} is already in use.")
    if key is None:
        # the archive's own key when no project has it, else one derived from it (KEY2, ...)
        taken = await project_repository.key_taken(session, given.key)
        key = await project_service.free_key(session, given.key[:KEY_STEM]) if taken else given.key
    now = utcnow()
    project = Project(
        key=key,
        name=name if name is not None else given.name,
        description=given.description,
        archived_at=given.archived_at,
        created_at=given.created_at or now,
        updated_at=given.updated_at or now,
    )
    if not await add_unique(session, project):
        raise Conflict(f"The project key {key} is already in use.")
    return project


async def _statuses(session: AsyncSession, project_id: int, archive: ArchiveIn) -> dict[Any, int]:
    # the archive's order by position, renumbered 0..n-1 (positions need not be contiguous)
    ordered = sorted(enumerate(archive.statuses), key=lambda pair: (pair[1].position, pair[0]))
    now = utcnow()
    rows = [
        {
            "project_id": project_id,
            "name": status.name,
            "category": status.category,
            "position": position,
            "wip_limit": status.wip_limit,
            "created_at": status.created_at or now,
        }
        for position, (_, status) in enumerate(ordered)
    ]
    new = await _insert(session, Status, rows)
    await session.execute(
        insert(StatusCount),
        [{"project_id": project_id, "status_id": status_id, "count": 0} for status_id in new],
    )
    by_ref = {status.ref: i for (_, status), i in zip(ordered, new, strict=True)}
    # tasks name their status; the history refers to it by ref
    return by_ref | {status.name: by_ref[status.ref] for _, status in ordered}


async def _labels(session: AsyncSession, project_id: int, archive: ArchiveIn) -> dict[Any, int]:
    now = utcnow()
    rows = [
        {
            "project_id": project_id,
            "name": label.name,
            "color": label.color.lower(),
            "created_at": label.created_at or now,
        }
        for label in archive.labels
    ]
    new = await _insert(session, Label, rows)
    by_ref = {label.ref: i for label, i in zip(archive.labels, new, strict=True)}
    return by_ref | {label.name: by_ref[label.ref] for label in archive.labels}


async def _tasks(
    session: AsyncSession,
    project_id: int,
    tasks: Sequence[TaskIn],
    ids: replay.Ids,
    people: People,
    importer: int,
) -> dict[Any, int]:
    now = utcnow()

    def row(task: TaskIn) -> dict[str, Any]:
        return {
            "project_id": project_id,
            "number": task.number,
            "title": task.title,
            "description": people_of.credited(task, people),
            "status_id": ids.statuses[task.status],
            "assignee_id": people.find(task.assignee),
            "reporter_id": people.or_importer(task.reporter, importer),
            "priority": task.priority.level,
            "label_ids": sorted({ids.labels[name] for name in task.labels}),
            "due_date": task.due_date,
            "estimate": task.estimate,
            "parent_id": None,  # below, once every task has its id
            "rank": task.rank,
            "archived_at": task.archived_at,
            "version": task.version,
            "created_at": task.created_at or now,
            "updated_at": task.updated_at or task.created_at or now,
        }

    return await _insert_batches(session, Task, tasks, row, key=lambda task: task.number)


async def _comments(
    session: AsyncSession,
    project_id: int,
    comments: Sequence[CommentIn],
    ids: replay.Ids,
    people: People,
    importer: int,
) -> dict[Any, int]:
    now = utcnow()

    def row(comment: CommentIn) -> dict[str, Any]:
        return {
            "task_id": ids.tasks[comment.task],
            "project_id": project_id,
            "author_id": people.or_importer(comment.author, importer),
            "body": people_of.signed(comment, people),
            "created_at": comment.created_at or now,
            "updated_at": comment.updated_at or comment.created_at or now,
        }

    return await _insert_batches(session, Comment, comments, row, key=lambda comment: comment.ref)


async def _insert_batches(
    session: AsyncSession,
    model: Any,
    items: Sequence[T],
    row: Callable[[T], dict[str, Any]],
    *,
    key: Callable[[T], Any],
) -> dict[Any, int]:
    """A row per item, BATCH rows per statement; the new ids by each item's key."""
    ids: dict[Any, int] = {}
    for batch in _chunks(items):
        new = await _insert(session, model, [row(item) for item in batch])
        ids.update((key(item), i) for item, i in zip(batch, new, strict=True))
    return ids


async def _insert(session: AsyncSession, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert the rows with ids allocated up front, in one statement (the driver may split
    it); their ids, ascending in row order. (INSERT ... RETURNING cannot promise the order of
    the ids it returns on SQLite without a statement per row; and Core rather than ORM inserts,
    which would split the rows by which of their values are None.)"""
    if not rows:
        return []
    ids = await repository.new_ids(session, model.__table__, len(rows))
    await session.execute(
        insert(model.__table__), [row | {"id": i} for row, i in zip(rows, ids, strict=True)]
    )
    return ids


def _chunks(items: Sequence[T], size: int = BATCH) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
