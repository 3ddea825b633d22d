"""Export one project as a JSON archive (format in schema.py), streamed from one snapshot.

The document is written as it is read: the small parts first, then tasks, comments and events
a batch at a time, one object per line. Memory holds the small parts and a few maps of ids
(to emails, names and numbers), never the tasks or the history.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any

import orjson
from sqlalchemy.engine import Row

from laneway import __version__
from laneway.backup.dump import snapshot
from laneway.db import Database
from laneway.kit.jsonbytes import iso
from laneway.models import Role
from laneway.tasks.schemas import PriorityName
from laneway.transfer import history, repository
from laneway.transfer.errors import TransferError
from laneway.transfer.files import Target, opened, written
from laneway.transfer.progress import SILENT, Progress
from laneway.transfer.schema import FORMAT, VERSION


@dataclass(frozen=True, slots=True)
class ExportSummary:
    key: str
    members: int
    statuses: int
    labels: int
    tasks: int
    comments: int
    events: int

    @property
    def rows(self) -> int:
        return self.members + self.statuses + self.labels + self.tasks + self.comments + self.events


class Outbound(history.Translation):
    """Instance ids to archive references: users to emails, tasks to numbers; statuses,
    labels, comments and attachments keep their ids as refs."""

    def __init__(self, emails: dict[int, str], numbers: dict[int, int]) -> None:
        self.emails = emails
        self.numbers = numbers

    def resolve(self, kind: history.Kind, value: Any) -> Any:
        if kind == "user":
            return self.emails.get(value)
        if kind == "task":
            return self.numbers.get(value)
        return value

    def number(self, value: Any) -> Any:
        return history.task_number(value)

    def learn(self, event: Row[Any]) -> None:
        """A task's number from its own events: deleted tasks are known only from these, and
        on SQLite a deleted task's id may have been given again to a newer task."""
        if history.family(event.type) == "task" and event.snapshot is not None:
            number = history.task_number(event.snapshot.get("number"))
            if number is not None:
                self.numbers[event.subject_id] = number


class _Writer:
    """The archive's JSON, one top-level member at a time; arrays one element per line."""

    def __init__(self, stream: IO[bytes], target: Target) -> None:
        self.target = target
        self.first = True
        self._stream = stream
        self.empty = True

    def write(self, data: bytes | bytearray) -> None:
        with written(self.target):
            self._stream.write(data)

    def field(self, name: str, value: Any) -> None:
        self.write(self._name(name) + orjson.dumps(value))

    def begin_array(self, name: str) -> None:
        self.write(self._name(name) + b"[")
        self.empty = True

    def items(self, values: Iterable[Any]) -> None:
        chunk = bytearray()
        for value in values:
            chunk += (b"\n" if self.empty else b",\n") + orjson.dumps(value)
            self.empty = False
        self.write(chunk)

    def end_array(self) -> None:
        self.write(b"]" if self.empty else b"\n]")

    def close(self) -> None:
        self.write(b"}\n")

    def _name(self, name: str) -> bytes:
        prefix = b"{" if self.first else b",\n"
        self.first = False
        return prefix + orjson.dumps(name) + b":"


async def export_project(
    database: Database, project_id: int, out: Target, progress: Progress = SILENT
) -> ExportSummary:
    """Write the project as a `laneway.project` archive to `out` (a file path, written whole
    or not at all, or a binary stream)."""
    async with snapshot(database.engine) as connection:
        project = await repository.project(connection, project_id)
        if project is None:
            raise TransferError(f"no project has id {project_id}")
        with opened(out) as stream:  # before the bar: an unwritable path fails first
            counts = await repository.counts(connection, project_id)
            progress.start(sum(counts.values()))
            emails = await repository.emails(connection, project_id)
            statuses = await repository.statuses(connection, project_id)
            labels = await repository.labels(connection, project_id)
            members = await repository.members(connection, project_id)
            numbers = await repository.task_numbers(connection, project_id)
            status_names = {s.id: s.name for s in statuses}
            label_names = {label.id: label.name for label in labels}
            writer = _Writer(stream, out)
            for name, value in (
                ("format", FORMAT),
                ("version", VERSION),
                ("exported_at", iso(datetime.now(UTC))),
                ("laneway_version", __version__),
                ("counts", counts),
                ("project", _project(project)),
            ):
                writer.field(name, value)
            small = {
                "members": [_member(m) for m in members],
                "statuses": [_status(s) for s in statuses],
                "labels": [_label(label) for label in labels],
            }
            for name, items in small.items():
                writer.begin_array(name)
                writer.items(items)
                writer.end_array()
                progress.advance(len(items))

            writer.begin_array("tasks")
            async for batch in repository.tasks(connection, project_id):
                writer.items(_task(t, status_names, label_names, emails, numbers) for t in batch)
                progress.advance(len(batch))
            writer.end_array()

            writer.begin_array("comments")
            async for batch in repository.comments(connection, project_id):
                writer.items(_comment(c, emails, numbers) for c in batch)
                progress.advance(len(batch))
            writer.end_array()

            outbound = Outbound(emails, dict(numbers))
            writer.begin_array("events")
            async for batch in repository.events(connection, project_id):
                writer.items(_event(e, outbound) for e in batch)
                progress.advance(len(batch))
            writer.end_array()
            writer.close()
    return ExportSummary(key=project["key"], **counts)


def _project(project: dict[str, Any]) -> dict[str, Any]:
    return {
        "ref": project["id"],
        "key": project["key"],
        "name": project["name"],
        "description": project["description"],
        "archived_at": iso(project["archived_at"]),
        "created_at": iso(project["created_at"]),
        "updated_at": iso(project["updated_at"]),
        "last_task_number": project["task_seq"],
    }


def _member(row: Row[str, str, Role, datetime]) -> dict[str, Any]:
    return {
        "email": row.email,
        "name": row.name,
        "role": row.role.value,
        "created_at": iso(row.created_at),
    }


def _status(row: Row[Any]) -> dict[str, Any]:
    return {
        "ref": row.id,
        "name": row.name,
        "category": row.category.value,
        "position": row.position,
        "wip_limit": row.wip_limit,
        "created_at": iso(row.created_at),
    }


def _label(row: Row[Any]) -> dict[str, Any]:
    return {"ref": row.id, "name": row.name, "color": row.color, "created_at": iso(row.created_at)}


def _task(
    row: Row[Any],
    status_names: dict[int, str],
    label_names: dict[int, str],
    emails: dict[int, str],
    numbers: dict[int, int],
) -> dict[str, Any]:
    return {
        "number": row.number,
        "title": row.title,
        "description": row.description,
        "status": status_names[row.status_id],
        "assignee": emails.get(row.assignee_id) if row.assignee_id is not None else None,
        "reporter": emails.get(row.reporter_id),
        "priority": PriorityName.of(row.priority).value,
        "labels": sorted(label_names[i] for i in row.label_ids if i in label_names),
        "due_date": iso(row.due_date),
        "estimate": row.estimate,
        "parent": numbers.get(row.parent_id) if row.parent_id is not None else None,
        "rank": row.rank,
        "archived_at": iso(row.archived_at),
        "version": row.version,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
    }


def _comment(row: Row[Any], emails: dict[int, str], numbers: dict[int, int]) -> dict[str, Any]:
    return {
        "ref": row.id,
        "task": numbers[row.task_id],
        "author": emails.get(row.author_id),
        "body": row.body,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
    }


def _event(row: Row[Any], outbound: Outbound) -> dict[str, Any]:
    outbound.learn(row)
    changes, snapshot = history.translate(row.type, row.changes, row.snapshot, outbound)
    subject_kind = history.SUBJECT[history.family(row.type)]
    return {
        "seq": row.seq,
        "type": row.type,
        "actor": outbound.resolve("user", row.actor_id),
        "subject": outbound.resolve(subject_kind, row.subject_id),
        "task": outbound.resolve("task", row.task_id),
        "changes": changes,
        "snapshot": snapshot,
        "created_at": iso(row.created_at),
    }
