"""Import a project archive as a new project, all in one transaction.

Rows go in with multi-row INSERTs, a batch at a time, keeping what the services keep: the
project's counter holds the last task number and the last event's seq (so new tasks and events
continue after them), `status_counts` are kept by the database's triggers as tasks go in, ranks
are the archive's own (so each column's order is the same), and tasks are inserted in the
archive's order (equal ranks are ordered by id).

People are matched by email. Someone without an account here is listed in the result's
`unmatched_emails`: their tasks are left unassigned; a task's reporter and a comment's author
cannot be empty, so those name the importing user instead (counted in `reassigned`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
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
from laneway.projects import repository as project_repository
from laneway.projects import service as project_service
from laneway.projects.schemas import ProjectCreateIn
from laneway.transfer import checks, files, replay, repository, schema
from laneway.transfer.errors import TransferError
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


@dataclass(slots=True)
class People:
    """Emails to accounts; the ones without an account are remembered for the result."""

    ids: dict[str, int]
    unmatched: set[str] = field(default_factory=set)
    reassigned: int = 0

    def find(self, email: str | None) -> int | None:
        if email is None:
            return None
        found = self.ids.get(email)
        if found is None:
            self.unmatched.add(email)
        return found

    def or_importer(self, email: str | None, importer: int) -> int:
        found = self.find(email)
        if found is None:
            self.reassigned += email is not None
            return importer
        return found


async def import_project(
    database: Database,
    archive: files.Source | ArchiveIn,
    *,
    owner: int | str,
    key: str | None = None,
    name: str | None = None,
    progress: Progress = SILENT,
    before_commit: BeforeCommit | None = None,
) -> ImportResult:
    """Create a new project from a `laneway.project` archive; `owner` (a user id or an email)
    becomes its owner. `key` and `name` replace the archive's; without a key, the archive's
    is used when free, else one derived from it. Refused archives raise TransferError
    (Conflict for a taken key) and write nothing."""
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
            result = await _import(session, parsed, importer, wanted.key, given_name, progress)
            if before_commit is not None:
                await before_commit(session, result)
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


async def _import(
    session: AsyncSession,
    archive: ArchiveIn,
    importer: User,
    key: str | None,
    name: str | None,
    progress: Progress,
) -> ImportResult:
    people = People(await repository.users_by_email(session, replay.emails(archive)))
    member_roles = _member_roles(archive, importer, people)
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
    ids = replay.Ids(project=project.id, users=people.ids)
    ids.statuses = await _statuses(session, project.id, archive)
    ids.labels = await _labels(session, project.id, archive)
    progress.advance(len(archive.statuses) + len(archive.labels))
    members = await _members(session, project.id, member_roles)
    progress.advance(len(archive.members))
    ids.tasks = await _tasks(session, project.id, archive, ids, people, importer.id, progress)
    ids.comments = await _comments(session, project.id, archive, ids, people, importer.id)
    progress.advance(len(archive.comments))
    if archive.events:
        await replay.events(session, archive, ids, project.key, people.unmatched, progress)
    else:
        await replay.fresh(session, project, importer.id, members, progress)
    # the last task number (deleted tasks' numbers are never given again) and the last event:
    # what the project's next task and event follow
    last_number = max([archive.project.last_task_number, *(t.number for t in archive.tasks)])
    await session.execute(
        insert(ProjectCounter).values(project_id=project.id, task_seq=last_number, event_seq=events)
    )
    # the imported history is the past: nobody is notified of it
    await session.execute(insert(NotificationCursor).values(project_id=project.id, seq=events))
    return ImportResult(
        project_id=project.id,
        key=project.key,
        name=project.name,
        members=len(members),
        statuses=len(archive.statuses),
        labels=len(archive.labels),
        tasks=len(archive.tasks),
        comments=len(archive.comments),
        events=events,
        unmatched_emails=sorted(people.unmatched),
        reassigned=people.reassigned,
    )


def _member_roles(
    archive: ArchiveIn, importer: User, people: People
) -> dict[int, tuple[Role, datetime]]:
    """The importing user as owner, and everyone else in the archive who has an account."""
    now = utcnow()
    roles = {importer.id: (Role.owner, now)}
    for member in archive.members:
        user_id = people.find(member.email)
        if user_id is not None:
            role = Role.owner if user_id == importer.id else member.role
            roles[user_id] = (role, member.created_at or now)
    return roles


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
    archive: ArchiveIn,
    ids: replay.Ids,
    people: People,
    importer: int,
    progress: Progress,
) -> dict[Any, int]:
    now = utcnow()

    def row(task: TaskIn) -> dict[str, Any]:
        return {
            "project_id": project_id,
            "number": task.number,
            "title": task.title,
            "description": task.description,
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

    by_number = await _insert_batches(
        session, Task, archive.tasks, row, key=lambda task: task.number, progress=progress
    )
    parents = [
        {"id": by_number[task.number], "parent_id": by_number[task.parent]}
        for task in archive.tasks
        if task.parent is not None
    ]
    for chunk in _chunks(parents):
        await session.execute(update(Task), chunk)
    return by_number


async def _comments(
    session: AsyncSession,
    project_id: int,
    archive: ArchiveIn,
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
            "body": comment.body,
            "created_at": comment.created_at or now,
            "updated_at": comment.updated_at or comment.created_at or now,
        }

    return await _insert_batches(
        session, Comment, archive.comments, row, key=lambda comment: comment.ref
    )


async def _insert_batches(
    session: AsyncSession,
    model: Any,
    items: Sequence[T],
    row: Callable[[T], dict[str, Any]],
    *,
    key: Callable[[T], Any],
    progress: Progress = SILENT,
) -> dict[Any, int]:
    """A row per item, BATCH rows per statement; the new ids by each item's key."""
    ids: dict[Any, int] = {}
    for batch in _chunks(items):
        new = await _insert(session, model, [row(item) for item in batch])
        ids.update((key(item), i) for item, i in zip(batch, new, strict=True))
        progress.advance(len(batch))
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
