"""Every kind of event the log holds: one list for the recorder, the API and the web client.

A named alias, so the OpenAPI document carries it once as the `EventType` schema and the
generated TypeScript gets a union of these strings.
"""

from __future__ import annotations

from typing import Literal, get_args

from typing_extensions import TypeAliasType

EventType = TypeAliasType(
    "EventType",
    Literal[
        "project.created",
        "project.updated",
        "project.archived",
        "project.restored",
        "member.added",
        "member.role_changed",
        "member.removed",
        "status.created",
        "status.updated",
        "status.deleted",
        "status.rebalanced",
        "label.created",
        "label.updated",
        "label.deleted",
        "task.created",
        "task.updated",
        "task.moved",
        "task.archived",
        "task.restored",
        "task.deleted",
        "comment.created",
        "comment.updated",
        "comment.deleted",
        "attachment.added",
        "attachment.deleted",
    ],
)
EVENT_TYPES: tuple[str, ...] = get_args(EventType.__value__)
