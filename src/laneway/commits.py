"""What a transaction changed, handed to listeners once it has committed.

Writers note their changes on the session (`pending(session)`); the database calls every
listener with them after the commit succeeds, never after a rollback. Listeners are the live
fan-out and the per-process caches (later webhooks): each sees the same typed record.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

log = structlog.get_logger("laneway.commits")
_KEY = "laneway.committed"


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """One row appended to a project's event log."""

    project_id: int
    seq: int
    type: str
    actor_id: int | None
    subject_id: int
    task_id: int | None
    changes: dict[str, Any]
    snapshot: dict[str, Any] | None
    created_at: datetime


@dataclass(slots=True)
class Changes:
    events: list[RecordedEvent] = field(default_factory=list)
    revoked_tokens: list[int] = field(default_factory=list)  # token ids that no longer work
    users_changed: list[int] = field(default_factory=list)  # its name, username or email switch


Listener = Callable[[Changes], None]


def pending(session: AsyncSession) -> Changes:
    """The changes this session's transaction will publish when it commits."""
    changes: Changes = session.info.setdefault(_KEY, Changes())
    return changes


class CommitChannel:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def committed(self, session: AsyncSession) -> None:
        changes: Changes | None = session.info.pop(_KEY, None)
        if changes is None or not (
            changes.events or changes.revoked_tokens or changes.users_changed
        ):
            return
        for listener in self._listeners:
            try:
                listener(changes)
            except Exception:  # the data is committed; a listener's bug must not turn it into a 500
                log.exception("after-commit listener failed", listener=repr(listener))
