"""The imported project's history: the archive's events renumbered from 1 with every
reference turned into the new ids (history.py), or, for an archive without events (a Trello
board), a fresh history of what the import created.

Events are written straight into the log, not published after commit: the project is new and
hidden until the import's last transaction (staging.py), so no viewer, cache or webhook knows
it yet, and a webhook added later starts after these events.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from laneway.activity.recorder import Draft
from laneway.comments.service import snapshot as comment_snapshot
from laneway.db import Database
from laneway.labels.service import snapshot as label_snapshot
from laneway.models import Comment, Event, Label, Membership, Task
from laneway.models.base import utcnow
from laneway.models.event_payloads import ProjectSnapshot
from laneway.projects.service import member_snapshot
from laneway.tasks.schemas import snapshot as task_snapshot
from laneway.transfer import history, staging
from laneway.transfer.errors import TransferError
from laneway.transfer.progress import Progress
from laneway.transfer.schema import ArchiveIn, EventIn

BATCH = 1000
# Core inserts: ORM bulk inserts split rows into one statement per pattern of None values
EVENTS = cast(Table, Event.__table__)


@dataclass(slots=True)
class Ids:
    """New ids by what the archive calls things: emails, status and label names and refs,
    task numbers, comment refs."""

    project: int
    users: dict[str, int]
    statuses: dict[Any, int] = field(default_factory=dict)
    labels: dict[Any, int] = field(default_factory=dict)
    tasks: dict[Any, int] = field(default_factory=dict)
    comments: dict[Any, int] = field(default_factory=dict)


class Inbound(history.Translation):
    def __init__(self, ids: Ids, key: str, unmatched: set[str]) -> None:
        self.key_ = key
        self.unmatched = unmatched
        self.by_kind: dict[history.Kind, dict[Any, int]] = {
            "user": ids.users,
            "status": ids.statuses,
            "label": ids.labels,
            "task": ids.tasks,
            "comment": ids.comments,
            "attachment": {},  # never imported: every one is a stand-in
        }
        self.project = ids.project
        self.stand_ins: dict[history.Kind, dict[Any, int]] = {}

    def resolve(self, kind: history.Kind, value: Any) -> Any:
        if value is None:
            return None
        if kind == "project":
            return self.project
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise TransferError(f"the history names a {kind} by {type(value).__name__}")
        found = self.by_kind[kind].get(value)
        if found is not None:
            return found
        if kind == "user":
            self.unmatched.add(str(value))
        stand_ins = self.stand_ins.setdefault(kind, {})
        return stand_ins.setdefault(value, -(len(stand_ins) + 1))

    def number(self, value: Any) -> Any:
        number = history.task_number(value) if isinstance(value, str) else value
        return f"{self.key_}-{number}" if isinstance(number, int) else value

    def key(self, value: Any) -> Any:
        return self.key_


class _Collect(history.Translation):
    def __init__(self) -> None:
        self.emails: set[str] = set()

    def resolve(self, kind: history.Kind, value: Any) -> Any:
        if kind == "user" and isinstance(value, str):
            self.emails.add(value)
        return value


def emails(archive: ArchiveIn) -> set[str]:
    """Every email the archive names, its history included."""
    found = {m.email for m in archive.members}
    found.update(e for t in archive.tasks for e in (t.assignee, t.reporter) if e is not None)
    found.update(c.author for c in archive.comments if c.author is not None)
    collect = _Collect()
    for event in archive.events:
        collect.resolve("user", event.actor)
        collect.resolve(history.SUBJECT[history.family(event.type)], event.subject)
        history.translate(event.type, event.changes, event.snapshot, collect)
    return found | collect.emails


async def events(
    session: AsyncSession, batch: Sequence[EventIn], first_seq: int, inbound: Inbound
) -> None:
    """A batch of the archive's events as the new project's, numbered from `first_seq`."""
    rows = [_row(event, first_seq + i, inbound) for i, event in enumerate(batch)]
    await session.execute(insert(EVENTS), rows)


def _row(event: EventIn, seq: int, inbound: Inbound) -> dict[str, Any]:
    changes, snapshot = history.translate(event.type, event.changes, event.snapshot, inbound)
    subject = inbound.resolve(history.SUBJECT[history.family(event.type)], event.subject)
    actor = inbound.resolve("user", event.actor)
    return {
        "project_id": inbound.project,
        "seq": seq,
        "type": event.type,
        "actor_id": actor if actor is None or actor > 0 else None,  # a foreign key: no stand-in
        "subject_id": subject if subject is not None else 0,
        "task_id": inbound.resolve("task", event.task),
        "changes": changes,
        "snapshot": snapshot,
        "created_at": event.created_at,
    }


def fresh_count(archive: ArchiveIn, members: int) -> int:
    return 1 + members + len(archive.labels) + len(archive.tasks) + len(archive.comments)


@dataclass(frozen=True, slots=True)
class Head:
    """What a fresh history starts with: the project and its members (not yet written)."""

    project_id: int
    key: str
    snapshot: ProjectSnapshot
    actor_id: int
    members: list[Membership]


async def fresh(database: Database, stage: staging.Stage, head: Head, progress: Progress) -> int:
    """A history for an archive that has none: the project, its members, labels, tasks and
    comments as they are now, each created by the importing user, a batch of events per
    transaction; how many events."""
    project_id, now = head.project_id, utcnow()
    seq = 0

    async def write(session: AsyncSession, drafts: list[Draft]) -> None:
        nonlocal seq
        rows = [
            {
                "project_id": project_id,
                "seq": seq + i,
                "type": draft.type,
                "actor_id": head.actor_id,
                "subject_id": draft.subject_id,
                "task_id": draft.task_id,
                "changes": draft.changes,
                "snapshot": draft.snapshot,
                "created_at": now,
            }
            for i, draft in enumerate(drafts, start=1)
        ]
        for batch in _batches(rows):
            await session.execute(insert(EVENTS), batch)
        seq += len(drafts)
        progress.advance(len(drafts))

    async with database.transaction() as session:
        await stage.check(session)
        drafts = [Draft("project.created", project_id, snapshot=head.snapshot)]
        drafts += [
            Draft("member.added", m.user_id, snapshot=member_snapshot(m)) for m in head.members
        ]
        labels = await session.scalars(
            select(Label).filter_by(project_id=project_id).order_by(Label.id)
        )
        drafts += [
            Draft("label.created", label.id, snapshot=label_snapshot(label)) for label in labels
        ]
        await write(session, drafts)
    pages: tuple[tuple[Any, Callable[[Any], Draft]], ...] = (
        (Task, lambda t: Draft("task.created", t.id, t.id, snapshot=task_snapshot(t, head.key))),
        (
            Comment,
            lambda c: Draft("comment.created", c.id, c.task_id, snapshot=comment_snapshot(c)),
        ),
    )
    for model, draft in pages:
        last = 0
        while True:
            async with database.transaction() as session:
                await stage.check(session)
                query = (
                    select(model)
                    .where(model.project_id == project_id, model.id > last)
                    .order_by(model.id)
                    .limit(stage.batch_rows)
                )
                page = list(await session.scalars(query))
                if not page:
                    break
                await write(session, [draft(row) for row in page])
                last = page[-1].id
    return seq


def _batches(rows: Iterable[dict[str, Any]]) -> Iterable[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch
