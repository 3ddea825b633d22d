"""A project's tasks as CSV, one row per task in number order, streamed from one snapshot.

Cells are made safe for spreadsheets: one that starts with = + - @, a tab or a carriage
return would be read as a formula (`=HYPERLINK(...)` can leak data or run a command), so it
gets a leading single quote, which spreadsheets show as text and csv_import takes off again.
Every cell is quoted: a spreadsheet opening the file with its locale's list separator (`;`, a
tab or `|` rather than `,`) would otherwise split an unquoted `a;=1+1` into a formula cell.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy.engine import Row

from laneway.backup.dump import snapshot
from laneway.db import Database
from laneway.kit.jsonbytes import iso
from laneway.tasks.schemas import PriorityName
from laneway.transfer import repository
from laneway.transfer.errors import TransferError
from laneway.transfer.files import Target, opened, written
from laneway.transfer.progress import SILENT, Progress

COLUMNS = (
    "number",
    "title",
    "status",
    "assignee",
    "reporter",
    "priority",
    "labels",
    "due_date",
    "parent",
    "archived",
    "created_at",
    "updated_at",
    "description",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
LABEL_SEPARATOR = ", "


def safe(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


async def export_csv(
    database: Database, project_id: int, out: Target, progress: Progress = SILENT
) -> int:
    """Write the project's tasks (archived ones too) as CSV to `out`; how many rows."""
    async with snapshot(database.engine) as connection:
        project = await repository.project(connection, project_id)
        if project is None:
            raise TransferError(f"no project has id {project_id}")
        key = project["key"]
        rows = 0
        with opened(out) as stream:  # before the bar: an unwritable path fails first
            progress.start((await repository.counts(connection, project_id))["tasks"])
            emails = await repository.emails(connection, project_id)
            statuses = {s.id: s.name for s in await repository.statuses(connection, project_id)}
            labels = {lb.id: lb.name for lb in await repository.labels(connection, project_id)}
            numbers = await repository.task_numbers(connection, project_id)
            # newline="": the csv module writes its own line ends (CRLF, as RFC 4180 has them)
            text = io.TextIOWrapper(stream, encoding="utf-8", newline="", write_through=True)
            try:
                writer = csv.writer(text, quoting=csv.QUOTE_ALL)
                with written(out):
                    writer.writerow(COLUMNS)
                async for batch in repository.tasks(connection, project_id, by_number=True):
                    with written(out):
                        writer.writerows(
                            [safe(c) for c in _cells(t, key, statuses, labels, emails, numbers)]
                            for t in batch
                        )
                    rows += len(batch)
                    progress.advance(len(batch))
            finally:
                with written(out):
                    text.flush()
                text.detach()  # the stream is the caller's (or opened()'s) to close
    return rows


def _cells(
    task: Row[Any],
    key: str,
    statuses: dict[int, str],
    labels: dict[int, str],
    emails: dict[int, str],
    numbers: dict[int, int],
) -> list[str]:
    parent = numbers.get(task.parent_id) if task.parent_id is not None else None
    return [
        f"{key}-{task.number}",
        task.title,
        statuses[task.status_id],
        emails.get(task.assignee_id, "") if task.assignee_id is not None else "",
        emails.get(task.reporter_id, ""),
        PriorityName.of(task.priority).value,
        LABEL_SEPARATOR.join(sorted(labels[i] for i in task.label_ids if i in labels)),
        iso(task.due_date) or "",
        f"{key}-{parent}" if parent is not None else "",
        "true" if task.archived_at is not None else "false",
        iso(task.created_at) or "",
        iso(task.updated_at) or "",
        task.description,
    ]
