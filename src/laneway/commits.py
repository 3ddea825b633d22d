"""What a transaction changed, handed to listeners once it has committed.

Writers note their changes on the session (`pending(session)`); the database calls every
listener with them after the commit succeeds, never after a rollback. Listeners are the live
fan-out, the per-process caches, the job runners and the attachment files: each sees the same
typed record. The few things a rollback must undo (files written before the commit) go to the
rollback listeners instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from laneway.models.event_payloads import EventChanges, EventSnapshot
from laneway.models.event_types import EventType

log = structlog.get_logger("laneway.commits")
_KEY = "laneway.committed"


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """One row appended to a project's event log."""

    project_id: int
    seq: int
    type: EventType
    actor_id: int | None
    subject_id: int
    task_id: int | None
    changes: EventChanges
    snapshot: EventSnapshot | None
    created_at: datetime


@dataclass(slots=True)
class Changes:
    events: list[RecordedEvent] = field(default_factory=list)
    revoked_tokens: list[int] = field(default_factory=list)  # token ids that no longer work
    users_changed: list[int] = field(default_factory=list)  # its name, username or email switch
    # projects with a webhook added or changed (the webhook runner wakes for their events)
    webhooks_changed: list[int] = field(default_factory=list)
    # attachment files (names in the file store) written for rows this transaction adds:
    # removed if it rolls back
    attachment_files_written: list[str] = field(default_factory=list)
    # attachment files whose rows this transaction deletes: removed once it commits
    attachment_files_deleted: list[str] = field(default_factory=list)


Listener = Callable[[Changes], None]


def pending(session: AsyncSession) -> Changes:
    """The changes this session's transaction will publish when it commits."""
    changes: Changes = session.info.setdefault(_KEY, Changes())
    return changes


class CommitChannel:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._rollback_listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def subscribe_rollback(self, listener: Listener) -> None:
        self._rollback_listeners.append(listener)

    def committed(self, session: AsyncSession) -> None:
        changes: Changes | None = session.info.pop(_KEY, None)
        if changes is None or not (
            changes.events
            or changes.revoked_tokens
            or changes.users_changed
            or changes.webhooks_changed
            or changes.attachment_files_deleted
        ):
            return
        _call(self._listeners, changes, "after-commit listener failed")

    def rolled_back(self, session: AsyncSession) -> None:
        changes: Changes | None = session.info.pop(_KEY, None)
        if changes is None or not changes.attachment_files_written:
            return
        _call(self._rollback_listeners, changes, "after-rollback listener failed")


def _call(listeners: list[Listener], changes: Changes, failed: str) -> None:
    for listener in listeners:
        try:
            listener(changes)
        except Exception:  # the outcome stands; a listener's bug must not turn it into a 500
            log.exception(failed, listener=repr(listener))
