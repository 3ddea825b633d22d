"""One event as it travels to viewers: serialized once, sent as is to every viewer."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any, Literal

from laneway.commits import RecordedEvent
from laneway.kit import jsonbytes
from laneway.models import Event
from laneway.models.event_types import EventType

# What else travels beside events: who is watching (to viewers and other replicas), and, to
# other replicas only, the tokens revoked, the users who have new notifications and the
# projects whose webhooks changed.
Notice = Literal["presence", "tokens.revoked", "notifications.made", "webhooks.changed"]


@dataclass(frozen=True, slots=True)
class Published:
    project_id: int
    seq: int
    type: EventType | Notice
    subject_id: int
    text: str  # the JSON message


def message(event: Event | RecordedEvent) -> Published:
    """A logged event (read back, or just committed) as the message viewers get."""
    text = jsonbytes.dumps(
        {
            "seq": event.seq,
            "type": event.type,
            "actor_id": event.actor_id,
            "subject_id": event.subject_id,
            "task_id": event.task_id,
            "changes": event.changes,
            "snapshot": event.snapshot,
            "created_at": jsonbytes.iso(event.created_at),
        }
    ).decode()
    return Published(event.project_id, event.seq, event.type, event.subject_id, text)


def control(kind: Literal["presence", "reload"], **fields: Any) -> str:
    """Messages that are not events (no seq): reload, resume, presence."""
    return jsonbytes.dumps({"type": kind, **fields}).decode()


def frame(text: str) -> bytes:
    """`text` as the WebSocket frame a server sends (RFC 6455 5.2: final, text, unmasked), built
    once per message and written as is to every viewer's connection that takes it at once."""
    payload = text.encode()
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", 0x81, size)
    elif size < 1 << 16:
        header = struct.pack("!BBH", 0x81, 126, size)
    else:
        header = struct.pack("!BBQ", 0x81, 127, size)
    return header + payload
