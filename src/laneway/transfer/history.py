"""The event log's ids, translated between an instance and an archive.

An event's changes and snapshot hold ids: of the project, of users, statuses, labels, tasks,
comments and attachments. In the archive a user is an email and a task its number (both mean
the same on any instance); a status, label, comment or attachment keeps its id as an archive
ref, which the archive's objects carry too (attachments excepted: an archive carries none, their
files stay behind). On import every reference becomes the new id of what it names. Something
deleted before the export, or never imported (an attachment), has no new id: it gets a negative
stand-in (-1, -2, ... per kind, distinct per object), so its events still belong together and
never name an unrelated row; so does a person whose email has no account on this instance.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

from laneway.models.event_types import EventType

Kind = Literal["project", "user", "status", "label", "task", "comment", "attachment"]

# the kind of each id-holding field, per event family (the part of the type before the dot);
# see the `snapshot` functions of each domain's service
FIELDS: Mapping[str, Mapping[str, Kind]] = {
    "project": {"id": "project"},
    "member": {"user_id": "user"},
    "status": {"id": "status", "project_id": "project"},
    "label": {"id": "label", "project_id": "project"},
    "task": {
        "id": "task",
        "project_id": "project",
        "status_id": "status",
        "assignee_id": "user",
        "reporter_id": "user",
        "labels": "label",
        "parent_id": "task",
    },
    "comment": {"id": "comment", "task_id": "task", "author_id": "user"},
    "attachment": {
        "id": "attachment",
        "task_id": "task",
        "project_id": "project",
        "uploaded_by": "user",
    },
}
SUBJECT: Mapping[str, Kind] = {
    "project": "project",
    "member": "user",
    "status": "status",
    "label": "label",
    "task": "task",
    "comment": "comment",
    "attachment": "attachment",
}

Resolve = Callable[[Kind, Any], Any]


class Translation:
    """One direction of the translation: `resolve(kind, value)` maps one reference, and
    `number` / `key` rewrite a task's "KEY-N" and the project's key."""

    def resolve(self, kind: Kind, value: Any) -> Any:
        raise NotImplementedError

    def number(self, value: Any) -> Any:
        return value

    def key(self, value: Any) -> Any:
        return value


def family(event_type: EventType) -> str:
    return event_type.partition(".")[0]


def translate(
    event_type: EventType,
    changes: dict[str, Any],
    snapshot: dict[str, Any] | None,
    translation: Translation,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The event's changes and snapshot with every reference translated."""
    kinds = FIELDS[family(event_type)]

    def field(name: str, value: Any) -> Any:
        if name == "number" and family(event_type) == "task":
            return translation.number(value)
        if name == "key" and family(event_type) == "project":
            return translation.key(value)
        kind = kinds.get(name)
        if kind is None or value is None:
            return value
        if isinstance(value, list):  # a task's labels
            return [translation.resolve(kind, item) for item in value]
        return translation.resolve(kind, value)

    new_snapshot = None
    if snapshot is not None:
        new_snapshot = {name: field(name, value) for name, value in snapshot.items()}
    new_changes: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "order" and isinstance(value, list):  # a status reordering: the new order
            new_changes[name] = [
                [translation.resolve("status", i) for i in side] if isinstance(side, list) else side
                for side in value
            ]
        elif name == "ranks" and isinstance(value, dict):  # a re-keyed column: task -> rank
            ranks = (
                (translation.resolve("task", _int(task)), rank) for task, rank in value.items()
            )
            new_changes[name] = {str(task): rank for task, rank in ranks if task is not None}
        elif isinstance(value, list) and len(value) == 2:  # [before, after]
            new_changes[name] = [field(name, value[0]), field(name, value[1])]
        else:
            new_changes[name] = value
    return new_changes, new_snapshot


def _int(value: str) -> int | str:
    return int(value) if value.lstrip("-").isdigit() else value


def task_number(value: Any) -> int | None:
    """N of a snapshot's "KEY-N"."""
    if not isinstance(value, str):
        return None
    digits = value.rpartition("-")[2]
    return int(digits) if digits.isdigit() else None
