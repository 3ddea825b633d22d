"""Two projects compared by content: everything but ids, the project's own id and key, and what
only says when the copy was made.

Each project is described on its own terms: ids become what they name in that project (a
status's name, a user's email, a task's number, a comment's place on its task); an id that
names nothing there (a thing deleted before the export) becomes "<gone>". Two projects are the
same when their descriptions are equal, the history's changes and snapshots included.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select

from laneway.db import Database
from laneway.kit.jsonbytes import iso
from laneway.models import (
    Comment,
    Event,
    Label,
    Membership,
    Project,
    ProjectCounter,
    Status,
    StatusCount,
    Task,
    User,
)

GONE = "<gone>"
PEOPLE = {"assignee_id", "reporter_id", "author_id", "user_id"}


async def describe(database: Database, project_id: int) -> dict[str, Any]:
    async with database.transaction(write=False) as session:
        project = await session.get_one(Project, project_id)
        counter = await session.get_one(ProjectCounter, project_id)
        users = {u.id: u.email for u in await session.scalars(select(User))}
        statuses = list(
            await session.scalars(
                select(Status).filter_by(project_id=project_id).order_by(Status.position)
            )
        )
        counts = {
            c.status_id: c.count
            for c in await session.scalars(select(StatusCount).filter_by(project_id=project_id))
        }
        labels = list(await session.scalars(select(Label).filter_by(project_id=project_id)))
        members = await session.scalars(select(Membership).filter_by(project_id=project_id))
        tasks = list(
            await session.scalars(select(Task).filter_by(project_id=project_id).order_by(Task.id))
        )
        comments = list(
            await session.scalars(
                select(Comment).filter_by(project_id=project_id).order_by(Comment.id)
            )
        )
        events = list(
            await session.scalars(
                select(Event).filter_by(project_id=project_id).order_by(Event.seq)
            )
        )

    status_names = {s.id: s.name for s in statuses}
    label_names = {label.id: label.name for label in labels}
    numbers = {t.id: t.number for t in tasks}
    per_task: dict[int, int] = defaultdict(int)
    comment_places = {}
    for c in comments:
        per_task[c.task_id] += 1
        comment_places[c.id] = f"{numbers[c.task_id]}#{per_task[c.task_id]}"
    names: dict[str, dict[Any, Any]] = {
        "user": users,
        "status": status_names,
        "label": label_names,
        "task": numbers,
        "comment": comment_places,
    }

    def name(kind: str, value: Any) -> Any:
        if value is None:
            return None
        if kind == "project":
            return "<project>" if value == project_id else GONE
        return names[kind].get(value, GONE)

    columns: dict[str, list[int]] = defaultdict(list)
    for t in sorted(tasks, key=lambda t: (t.rank, t.id)):
        if t.archived_at is None:
            columns[status_names[t.status_id]].append(t.number)
    return {
        "project": {
            "name": project.name,
            "description": project.description,
            "archived_at": iso(project.archived_at),
            "created_at": iso(project.created_at),
            "last_task_number": counter.task_seq,
            "last_event": counter.event_seq,
        },
        "members": sorted((users[m.user_id], m.role.value) for m in members),
        "statuses": [
            (s.name, s.category.value, s.position, s.wip_limit, iso(s.created_at), counts[s.id])
            for s in statuses
        ],
        "labels": sorted((lb.name, lb.color, iso(lb.created_at)) for lb in labels),
        "tasks": {
            t.number: {
                "title": t.title,
                "description": t.description,
                "status": status_names[t.status_id],
                "assignee": users.get(t.assignee_id),
                "reporter": users[t.reporter_id],
                "priority": t.priority,
                "labels": sorted(label_names[i] for i in t.label_ids),
                "due_date": iso(t.due_date),
                "estimate": t.estimate,
                "parent": numbers.get(t.parent_id),
                "rank": t.rank,
                "archived_at": iso(t.archived_at),
                "version": t.version,
                "created_at": iso(t.created_at),
                "updated_at": iso(t.updated_at),
            }
            for t in tasks
        },
        "columns": dict(columns),
        "comments": [
            (comment_places[c.id], users[c.author_id], c.body, iso(c.created_at), iso(c.updated_at))
            for c in comments
        ],
        "events": [_event(e, name) for e in events],
    }


SUBJECTS = {
    "project": "project",
    "member": "user",
    "status": "status",
    "label": "label",
    "task": "task",
    "comment": "comment",
}


def _event(event: Event, name: Any) -> dict[str, Any]:
    family = event.type.split(".")[0]
    ids = {"id": SUBJECTS[family], "project_id": "project", "status_id": "status"}
    ids |= {"labels": "label", "parent_id": "task", "task_id": "task"}
    ids |= dict.fromkeys(PEOPLE, "user")

    def value(key: str, v: Any) -> Any:
        if key == "number":
            return int(v.rpartition("-")[2])
        if key == "key":
            return "<key>"
        if key == "order" and isinstance(v, list):
            return [name("status", i) for i in v]
        if key in ids and isinstance(v, list):
            return [name(ids[key], i) for i in v]
        return name(ids[key], v) if key in ids else v

    changes = {}
    for key, pair in event.changes.items():
        if key == "ranks":
            changes[key] = {name("task", int(t)): r for t, r in pair.items()}
        else:
            changes[key] = [value(key, side) for side in pair]
    snapshot = None
    if event.snapshot is not None:
        snapshot = {key: value(key, v) for key, v in event.snapshot.items()}
    return {
        "seq": event.seq,
        "type": event.type,
        "actor": name("user", event.actor_id),
        "subject": name(SUBJECTS[family], event.subject_id),
        "task": name("task", event.task_id),
        "changes": changes,
        "snapshot": snapshot,
        "created_at": iso(event.created_at),
    }


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    """Where two descriptions differ, as paths with both values (empty: the same)."""
    if isinstance(a, dict) and isinstance(b, dict):
        found = []
        for key in sorted(set(a) | set(b), key=str):
            if key not in a or key not in b:
                found.append(f"{path}/{key}: only in {'second' if key not in a else 'first'}")
            else:
                found += differences(a[key], b[key], f"{path}/{key}")
        return found
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items != {len(b)} items"]
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in differences(x, y, f"{path}[{i}]")
        ]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]
