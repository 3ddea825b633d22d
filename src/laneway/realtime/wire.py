"""One event as it travels to viewers: serialized once, sent as is to every viewer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from laneway.kit import jsonbytes
from laneway.models import Event

PENDING_KEY = "laneway.live"  # session.info: events committed with this transaction
REVOKED_TOKENS_KEY = "laneway.revoked_tokens"  # session.info: token ids revoked by it


@dataclass(frozen=True, slots=True)
class Published:
    project_id: int
    seq: int
    type: str
    subject_id: int
    text: str  # the JSON message


def message(
    *,
    project_id: int,
    seq: int,
    type: str,
    actor_id: int | None,
    subject_id: int,
    task_id: int | None,
    changes: dict[str, Any],
    snapshot: dict[str, Any] | None,
    created_at: datetime,
) -> Published:
    text = jsonbytes.dumps(
        {
            "seq": seq,
            "type": type,
            "actor_id": actor_id,
            "subject_id": subject_id,
            "task_id": task_id,
            "changes": changes,
            "snapshot": snapshot,
            "created_at": jsonbytes.iso(created_at),
        }
    ).decode()
    return Published(project_id, seq, type, subject_id, text)


def from_event(event: Event) -> Published:
    return message(
        project_id=event.project_id,
        seq=event.seq,
        type=event.type,
        actor_id=event.actor_id,
        subject_id=event.subject_id,
        task_id=event.task_id,
        changes=event.changes,
        snapshot=event.snapshot,
        created_at=event.created_at,
    )


def control(kind: str, **fields: Any) -> str:
    """Messages that are not events (no seq): reload, resume, presence."""
    return jsonbytes.dumps({"type": kind, **fields}).decode()
