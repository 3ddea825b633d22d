"""Tasks from a CSV file into an existing project, its columns mapped to task fields.

The file is read and checked first (csv_read.py): a file that is not CSV, or a mapping that
names a column the file lacks, is refused before the transaction opens. Rows that cannot be
read are reported as errors and skipped. Then, in one transaction:
- a status the project does not have creates nothing: the row goes to the first status, with
  a warning; so does an assignee who is not a member (left unassigned);
- labels the project lacks are created (one `label.created` each);
- tasks go to the end of their column in file order, each with its `task.created` event,
  through the counter, ranks and log the API's creates use (live viewers see them at commit).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

from fractional_indexing import generate_n_keys_between
from sqlalchemy.ext.asyncio import AsyncSession

from laneway.activity import recorder
from laneway.auth.identity import UserRef
from laneway.db import Database
from laneway.labels import service as label_service
from laneway.labels.schemas import LabelCreateIn
from laneway.models import Role, Status, Task
from laneway.models.base import utcnow
from laneway.projects import repository as project_repository
from laneway.projects.access import ProjectAccess, check_role
from laneway.statuses import repository as status_repository
from laneway.tasks.schemas import snapshot as task_snapshot
from laneway.transfer import csv_read, files, repository
from laneway.transfer.csv_read import Draft, RowIssue
from laneway.transfer.errors import TransferError
from laneway.transfer.progress import SILENT, BeforeCommit, Progress

BATCH = 500  # tasks per reservation and flush


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


async def import_csv(
    database: Database,
    csv_stream: files.Source,
    *,
    project_id: int,
    user: int | str,
    mapping: Mapping[str, str],
    progress: Progress = SILENT,
    before_commit: BeforeCommit | None = None,
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
        # the project's lock first, as every writer takes it: then its statuses, labels and
        # members cannot change under the import
        await recorder.reserve(session, project_id, events=0)
        warnings: list[RowIssue] = []
        statuses = await _statuses(session, drafts, project_id, warnings)
        assignees = await _assignees(session, drafts, project_id, warnings)
        labels, created_labels = await _labels(session, access, drafts)
        numbers: list[int] = []
        ends: dict[int, str | None] = {}  # each column's last rank so far
        for start in range(0, len(drafts), BATCH):
            batch = drafts[start : start + BATCH]
            for status_id in {statuses[d.row].id for d in batch} - set(ends):
                ends[status_id] = await status_repository.last_rank(session, project_id, status_id)
            ranks = _ranks(batch, statuses, ends)
            reservation = await recorder.reserve(
                session, project_id, events=len(batch), tasks=len(batch)
            )
            now = utcnow()
            tasks = [
                Task(
                    project_id=project_id,
                    number=reservation.first_number + i,
                    title=draft.title,
                    description=draft.description,
                    status_id=statuses[draft.row].id,
                    assignee_id=assignees.get(draft.row),
                    reporter_id=access.user.id,
                    priority=draft.priority.level,
                    label_ids=sorted({labels[name.lower()] for name in draft.labels}),
                    due_date=draft.due_date,
                    rank=ranks[draft.row],
                    version=1,
                    created_at=now,
                    updated_at=now,
                )
                for i, draft in enumerate(batch)
            ]
            session.add_all(tasks)
            await session.flush()
            key = access.project.key
            await recorder.append(
                session,
                reservation,
                access.user.id,
                [
                    recorder.Draft("task.created", t.id, t.id, snapshot=task_snapshot(t, key))
                    for t in tasks
                ],
            )
            numbers += [t.number for t in tasks]
            for task in tasks:
                session.expunge(task)  # written: memory stays flat over a long file
            progress.advance(len(batch))
        result = CsvImportResult(
            project_id=project_id,
            key=access.project.key,
            rows=rows,
            numbers=numbers,
            labels_created=created_labels,
            warnings=sorted(warnings, key=lambda issue: issue.row),
            errors=errors,
        )
        if before_commit is not None:
            await before_commit(session, result)
    return result


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
    session: AsyncSession, access: ProjectAccess, drafts: list[Draft]
) -> tuple[dict[str, int], list[str]]:
    """Label ids by lowercased name, after creating the ones the project lacks."""
    labels = {
        label.name.lower(): label.id
        for label in await label_service.list_labels(session, access.project.id)
    }
    created = []
    for draft in drafts:
        for name in draft.labels:
            if name.lower() not in labels:
                label = await label_service.create_label(session, access, LabelCreateIn(name=name))
                labels[name.lower()] = label.id
                created.append(name)
    return labels, created


def _ranks(
    batch: list[Draft], statuses: dict[int, Status], ends: dict[int, str | None]
) -> dict[int, str]:
    """Ranks after each column's last task, in file order; `ends` moves to the new last."""
    rows_by_status: dict[int, list[int]] = {}
    for draft in batch:
        rows_by_status.setdefault(statuses[draft.row].id, []).append(draft.row)
    ranks: dict[int, str] = {}
    for status_id, rows in rows_by_status.items():
        keys = generate_n_keys_between(ends[status_id], None, len(rows))
        ranks.update(zip(rows, keys, strict=True))
        ends[status_id] = keys[-1]
    return ranks
