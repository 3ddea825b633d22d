"""Tasks from a CSV file into an existing project, its columns mapped to task fields.

The file is read and checked first (csv_read.py): a file that is not CSV, or a mapping that
names a column the file lacks, is refused before any transaction opens. Rows that cannot be
read are reported as errors and skipped. Then:
- a status the project does not have creates nothing: the row goes to the first status, with
  a warning; so does an assignee who is not a member (left unassigned);
- labels the project lacks are created (one `label.created` each);
- tasks go to the end of their column in file order, each with its `task.created` event.

All or nothing, without holding the write lock for the whole file (staging.py): a short first
transaction reserves the tasks' numbers in the project (a failed import's numbers are never
given again, like a deleted task's) and makes a hidden staging project; the tasks, with their
events, labels and ranks already final, go into it a batch per transaction; a last transaction
takes the project's lock and moves them in with a few set-based statements (labels, tasks,
events renumbered after the project's last, status counts), then publishes the events as the
API's creates do. That last step is proportional to the file but is plain SQL, no row built
in Python; the rows can only appear together, and a retried attempt removes the staging
project an earlier one left.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from fractional_indexing import generate_n_keys_between
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from laneway.activity import recorder
from laneway.commits import RecordedEvent, pending
from laneway.db import Database
from laneway.labels.service import PALETTE
from laneway.labels.service import snapshot as label_snapshot
from laneway.models import Event, Label, Project, Role, Status, StatusCount, Task
from laneway.models.base import utcnow
from laneway.models.refs import UserRef
from laneway.projects import repository as project_repository
from laneway.projects import service as project_service
from laneway.projects.access import ProjectAccess, check_role
from laneway.statuses import repository as status_repository
from laneway.tasks.schemas import snapshot as task_snapshot
from laneway.transfer import csv_read, files, repository, staging
from laneway.transfer.csv_read import Draft, RowIssue
from laneway.transfer.errors import TransferError
from laneway.transfer.progress import SILENT, BeforeCommit, Progress

STAGING_KEY = "ZZIMPORT"  # a hidden staging project's key stem (free_key adds digits)


@dataclass(frozen=True, slots=True)
class CsvImportResult:
    project_id: int
    key: str
    rows: int  # rows in the file, blank lines aside
    numbers: list[int]  # the new tasks' numbers, in file order
    labels_created: list[str]
    warnings: list[RowIssue]  # imported with the field left at its default
    errors: list[RowIssue]  # not imported

    @property
    def created(self) -> int:
        return len(self.numbers)


@dataclass(slots=True)
class Plan:
    """What the first transaction decided for every row."""

    key: str
    staging_id: int
    first_number: int
    statuses: dict[int, Status]  # by row
    assignees: dict[int, int]
    labels: dict[str, int]  # lowercased name: id (the project's, or a staged new one)
    created_labels: list[str]
    ranks: dict[int, str]
    warnings: list[RowIssue]


async def import_csv(
    database: Database,
    csv_stream: files.Source,
    *,
    project_id: int,
    user: int | str,
    mapping: Mapping[str, str],
    progress: Progress = SILENT,
    before_commit: BeforeCommit | None = None,
    stage: staging.Stage = staging.UNSTAGED,
) -> CsvImportResult:
    """Add a task per row of `csv_stream` to the project, as `user` (an id or an email: a
    member, admin or owner of it). `mapping` is {task field: CSV column}; title is required;
    the fields are title, description, status, assignee, priority, labels and due_date."""
    # reading a file is CPU work: a thread, so the event loop keeps serving
    drafts, errors, rows = await asyncio.to_thread(csv_read.read, csv_stream, mapping)
    progress.start(rows)
    progress.advance(len({issue.row for issue in errors}))
    async with database.transaction() as session:
        access = await _access(session, project_id, user)
        plan = await _plan(session, access, drafts)
        await stage.adopt(session, plan.staging_id)
    try:
        staged: list[RecordedEvent] = []
        for start in range(0, len(drafts), stage.batch_rows):
            batch = drafts[start : start + stage.batch_rows]
            async with database.transaction() as session:
                await stage.check(session)
                staged += await _stage(session, access, plan, batch, first=start)
            progress.advance(len(batch))
        async with database.transaction() as session:
            await stage.check(session)
            access = await _access(session, project_id, user)  # still allowed to write there
            await _move_in(session, access, plan, staged)
            result = CsvImportResult(
                project_id=project_id,
                key=plan.key,
                rows=rows,
                numbers=[plan.first_number + i for i in range(len(drafts))],
                labels_created=plan.created_labels,
                warnings=sorted(plan.warnings, key=lambda issue: issue.row),
                errors=errors,
            )
            if before_commit is not None:
                await before_commit(session, result)
    except Exception as error:
        if stage.discards:  # nothing of it stays
            with contextlib.suppress(Exception):
                await staging.discard(database, plan.staging_id, stage.batch_rows)
        if isinstance(error, IntegrityError):  # a label of the same name added meanwhile
            first_line = str(error.orig or error).splitlines()[0]
            raise TransferError(f"the rows could not be written: {first_line}") from None
        raise
    return result


async def _plan(session: AsyncSession, access: ProjectAccess, drafts: list[Draft]) -> Plan:
    """Statuses, assignees, labels, numbers and ranks for every row, and the staging project
    with the labels to create."""
    project_id = access.project.id
    # the project's lock first, as every writer takes it: then its statuses, labels and
    # members cannot change while this is decided
    reservation = await recorder.reserve(session, project_id, events=0, tasks=len(drafts))
    warnings: list[RowIssue] = []
    statuses = await _statuses(session, drafts, project_id, warnings)
    assignees = await _assignees(session, drafts, project_id, warnings)
    hidden = await staging.new_hidden(
        session,
        Project(
            key=await project_service.free_key(session, STAGING_KEY),
            name=f"Import into {access.project.key}",
        ),
    )
    labels, created = await _labels(session, project_id, hidden.id, drafts)
    ends = {
        status_id: await status_repository.last_rank(session, project_id, status_id)
        for status_id in {status.id for status in statuses.values()}
    }
    return Plan(
        key=access.project.key,
        staging_id=hidden.id,
        first_number=reservation.first_number,
        statuses=statuses,
        assignees=assignees,
        labels=labels,
        created_labels=created,
        ranks=_ranks(drafts, statuses, ends),
        warnings=warnings,
    )


async def _stage(
    session: AsyncSession, access: ProjectAccess, plan: Plan, batch: list[Draft], *, first: int
) -> list[RecordedEvent]:
    """A batch of tasks, final but for their project, and their events (numbered from 1 in
    the staging project's log) as they will be published."""
    now = utcnow()
    tasks = [
        Task(
            project_id=plan.staging_id,
            number=plan.first_number + first + i,
            title=draft.title,
            description=draft.description,
            status_id=plan.statuses[draft.row].id,
            assignee_id=plan.assignees.get(draft.row),
            reporter_id=access.user.id,
            priority=draft.priority.level,
            label_ids=sorted({plan.labels[name.lower()] for name in draft.labels}),
            due_date=draft.due_date,
            rank=plan.ranks[draft.row],
            version=1,
            created_at=now,
            updated_at=now,
        )
        for i, draft in enumerate(batch)
    ]
    session.add_all(tasks)
    await session.flush()
    events = [
        RecordedEvent(
            project_id=plan.staging_id,
            seq=first + i + 1,
            type="task.created",
            actor_id=access.user.id,
            subject_id=task.id,
            task_id=task.id,
            changes={},
            snapshot=task_snapshot(task, plan.key) | {"project_id": access.project.id},
            created_at=now,
        )
        for i, task in enumerate(tasks)
    ]
    await session.execute(insert(Event), [recorder.row(event) for event in events])
    for task in tasks:
        session.expunge(task)  # written: memory stays flat over a long file
    return events


async def _move_in(
    session: AsyncSession, access: ProjectAccess, plan: Plan, staged: list[RecordedEvent]
) -> None:
    """The staged labels, tasks and events become the project's, in a few statements."""
    project_id, staging_id, actor = access.project.id, plan.staging_id, access.user.id
    new_labels = list(await session.scalars(select(Label).where(Label.project_id == staging_id)))
    await session.execute(
        update(Label).where(Label.project_id == staging_id).values(project_id=project_id)
    )
    for label in new_labels:
        await session.refresh(label)
    if new_labels:
        drafts = [
            recorder.Draft("label.created", label.id, snapshot=label_snapshot(label))
            for label in new_labels
        ]
        await recorder.record(session, project_id, actor, *drafts)
    reservation = await recorder.reserve(session, project_id, events=len(staged))
    offset = reservation.first_seq - 1
    await session.execute(
        update(Task).where(Task.project_id == staging_id).values(project_id=project_id)
    )
    await session.execute(
        update(Event)
        .where(Event.project_id == staging_id)
        .values(project_id=project_id, seq=Event.seq + offset)
    )
    await _move_counts(session, staging_id, project_id)
    await session.execute(delete(Project).where(Project.id == staging_id))
    # published once committed, as the API's creates are (live viewers, caches)
    pending(session).events.extend(
        dataclasses.replace(event, project_id=project_id, seq=event.seq + offset)
        for event in staged
    )


async def _move_counts(session: AsyncSession, staging_id: int, project_id: int) -> None:
    """The status counts the staged tasks made (the triggers count by project) join the
    project's."""
    staged = await session.execute(
        select(StatusCount.status_id, StatusCount.count).where(StatusCount.project_id == staging_id)
    )
    for status_id, count in staged.all():
        await session.execute(
            update(StatusCount)
            .where(StatusCount.project_id == project_id, StatusCount.status_id == status_id)
            .values(count=StatusCount.count + count)
        )
    await session.execute(delete(StatusCount).where(StatusCount.project_id == staging_id))


async def _access(session: AsyncSession, project_id: int, who: int | str) -> ProjectAccess:
    user = await repository.user(session, who)
    found = (
        None
        if user is None
        else await project_repository.project_with_role(session, project_id, user.id)
    )
    if user is None or found is None:
        raise TransferError(f"{who!r} is not a member of a project with id {project_id}")
    project, role = found
    check_role(role, Role.member, writes=True, archived=project.archived_at)
    return ProjectAccess.of(project, role, UserRef.of(user))


async def _statuses(
    session: AsyncSession, drafts: list[Draft], project_id: int, warnings: list[RowIssue]
) -> dict[int, Status]:
    """Each row's status, by name (any case); the first status for a name there is none of."""
    statuses = await status_repository.of_project(session, project_id)
    by_name = {status.name.lower(): status for status in statuses}
    chosen = {}
    for draft in drafts:
        status = by_name.get(draft.status.lower()) if draft.status else None
        if draft.status and status is None:
            warnings.append(
                RowIssue(
                    draft.row,
                    "status",
                    f"no status is named {draft.status!r}: put in {statuses[0].name!r}",
                )
            )
        chosen[draft.row] = status or statuses[0]
    return chosen


async def _assignees(
    session: AsyncSession, drafts: list[Draft], project_id: int, warnings: list[RowIssue]
) -> dict[int, int]:
    members = {
        user.email: user.id for _, user in await project_repository.members(session, project_id)
    }
    chosen = {}
    for draft in drafts:
        if draft.assignee is None:
            continue
        if draft.assignee in members:
            chosen[draft.row] = members[draft.assignee]
        else:
            message = f"{draft.assignee} is not a member of the project: left unassigned"
            warnings.append(RowIssue(draft.row, "assignee", message))
    return chosen


async def _labels(
    session: AsyncSession, project_id: int, staging_id: int, drafts: list[Draft]
) -> tuple[dict[str, int], list[str]]:
    """Label ids by lowercased name; the ones the project lacks are made in the staging
    project (they move in at the end), coloured as the API colours them."""
    existing = list(await session.scalars(select(Label).where(Label.project_id == project_id)))
    labels = {label.name.lower(): label.id for label in existing}
    created: list[str] = []
    for draft in drafts:
        for name in draft.labels:
            if name.lower() not in labels:
                color = PALETTE[(len(existing) + len(created)) % len(PALETTE)]
                made = await session.execute(
                    insert(Label)
                    .values(project_id=staging_id, name=name, color=color, created_at=utcnow())
                    .returning(Label.id)
                )
                labels[name.lower()] = made.scalar_one()
                created.append(name)
    return labels, created


def _ranks(
    drafts: list[Draft], statuses: dict[int, Status], ends: dict[int, str | None]
) -> dict[int, str]:
    """Ranks after each column's last task, in file order."""
    rows_by_status: dict[int, list[int]] = {}
    for draft in drafts:
        rows_by_status.setdefault(statuses[draft.row].id, []).append(draft.row)
    ranks: dict[int, str] = {}
    for status_id, rows in rows_by_status.items():
        keys = generate_n_keys_between(ends[status_id], None, len(rows))
        ranks.update(zip(rows, keys, strict=True))
    return ranks
