"""Every kind of event the log holds: one list for the recorder, the API and the web client.

The types come in families (the part before the dot), each with payloads of its own shape
(event_payloads.py). `EventType` is a named alias, so the OpenAPI document carries it once as
the `EventType` schema and the generated TypeScript gets a union of these strings.
"""

from __future__ import annotations

from typing import Literal, get_args

from typing_extensions import TypeAliasType

ProjectEventType = Literal[
    "project.created", "project.updated", "project.archived", "project.restored"
]
MemberEventType = Literal["member.added", "member.role_changed", "member.removed"]
# rebalanced: a column's tasks got new ranks (its changes are the ranks; no snapshot)
StatusEventType = Literal["status.created", "status.updated", "status.deleted", "status.rebalanced"]
LabelEventType = Literal["label.created", "label.updated", "label.deleted"]
TaskEventType = Literal[
    "task.created", "task.updated", "task.moved", "task.archived", "task.restored", "task.deleted"
]
CommentEventType = Literal["comment.created", "comment.updated", "comment.deleted"]
AttachmentEventType = Literal["attachment.added", "attachment.deleted"]

EventType = TypeAliasType(
    "EventType",
    Literal[
        ProjectEventType,
        MemberEventType,
        StatusEventType,
        LabelEventType,
        TaskEventType,
        CommentEventType,
        AttachmentEventType,
    ],
)
EVENT_TYPES: tuple[EventType, ...] = get_args(EventType.__value__)
