"""Committed events become notifications and watchers, after the commit and never in the
request: the event log is read past each project's cursor, and the cursor moves in the same
transaction that adds what the rules decided (rules.py), so each event notifies exactly once,
with any number of runners and after any crash. The write path pays nothing for it.

Runs where the other jobs run (the serving process on the embedded default, else `laneway
worker`), woken by its own process's commits of events someone may be told of and polling
otherwise (the poll also adds the watchers the other events bring, and moves the cursor past
them); once an hour it also adds the due-date reminders.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import structlog

from laneway.activity import repository as activity_repository
from laneway.commits import Changes
from laneway.db import Database
from laneway.kit.poll_loop import PollLoop
from laneway.models.base import utcnow
from laneway.models.event_payloads import payload
from laneway.notifications import repository
from laneway.notifications.rules import EventFacts, decide, may_notify

log = structlog.get_logger("laneway.notifications")
BATCH = 500  # events per project per pass
PROJECTS_PER_PASS = 50
DUE_CHECK_SECONDS = 3600.0
OVERDUE_DAYS = 7  # older due dates are not reminded of (an upgrade must not flood inboxes)


class _Overtaken(Exception):
    """Another runner moved this project's cursor first: roll back ours."""


async def notify_project(
    database: Database, project_id: int, cursor: int | None
) -> tuple[int, set[int]]:
    """Notifications for one project's events past its cursor: how many, and for whom."""
    made = 0
    users: set[int] = set()
    try:
        async with database.transaction() as session:
            events = await activity_repository.events_after(
                session, project_id, cursor or 0, limit=BATCH
            )
            if not events:
                return 0, users
            task_ids = {e.task_id for e in events if e.task_id is not None}
            live = await repository.existing_tasks(session, task_ids)
            members = await repository.members(session, project_id)
            watching = await repository.watchers(session, live)
            statuses = await repository.status_names(session, project_id)
            rows: list[dict[str, Any]] = []
            new_watchers: set[tuple[int, int]] = set()
            for event in events:
                if event.task_id is None or event.task_id not in live:
                    continue  # project-level events and deleted tasks notify nobody
                what = payload(event.type, event.changes, event.snapshot)
                facts = EventFacts(event.seq, event.actor_id, event.task_id, what)
                outcome = decide(facts, members, watching[event.task_id], statuses)
                for user_id, (kind, excerpt) in outcome.notify.items():
                    rows.append(
                        {
                            "user_id": user_id,
                            "project_id": project_id,
                            "task_id": event.task_id,
                            "kind": kind,
                            "event_seq": event.seq,
                            "actor_id": event.actor_id,
                            "excerpt": excerpt,
                            "created_at": event.created_at,
                        }
                    )
                fresh = outcome.watch - watching[event.task_id]
                watching[event.task_id] |= fresh  # later events of this batch see them
                new_watchers |= {(event.task_id, user_id) for user_id in fresh}
            if rows:
                await repository.add(session, rows)
            if new_watchers:
                await repository.watch_all(session, new_watchers)
            if not await repository.advance(session, project_id, cursor, events[-1].seq):
                raise _Overtaken
            made = len(rows)
            users = {row["user_id"] for row in rows}
    except _Overtaken:
        return 0, set()
    return made, users


class NotificationRunner(PollLoop):
    def __init__(
        self,
        database: Database,
        poll_seconds: float = 0.5,
        clock: Callable[[], datetime] = utcnow,
        on_made: Callable[[set[int]], None] = lambda _users: None,
    ) -> None:
        super().__init__(poll_seconds, name="notifier", log=log)
        self.database, self.clock = database, clock
        self.on_made = on_made  # after the commit: whom it made notifications for
        self._due_checked_at = -DUE_CHECK_SECONDS
        self.made = 0  # notifications, for /metrics

    def after_commit(self, changes: Changes) -> None:
        if any(may_notify(payload(e.type, e.changes, e.snapshot)) for e in changes.events):
            self.wake_soon()

    async def poll(self) -> None:
        await self.run_once()
        if time.monotonic() - self._due_checked_at >= DUE_CHECK_SECONDS:
            await self.remind_due()

    async def run_once(self) -> int:
        """One pass over every project behind; how many notifications it made."""
        async with self.database.transaction(write=False) as session:
            behind = await repository.behind(session, PROJECTS_PER_PASS)
        made = 0
        for project_id, cursor in behind:
            count, users = await notify_project(self.database, project_id, cursor)
            made += count
            if users:
                self.on_made(users)
        self.made += made
        return made

    async def drain(self) -> int:
        """Until no project is behind (tests)."""
        total = 0
        while True:
            async with self.database.transaction(write=False) as session:
                if not await repository.behind(session, 1):
                    return total
            total += await self.run_once()

    async def remind_due(self) -> int:
        """Due tomorrow and overdue, for assignees (UTC days); idempotent."""
        self._due_checked_at = time.monotonic()
        today: date = self.clock().date()
        async with self.database.transaction() as session:
            made, users = await repository.add_due_reminders(
                session, today, today - timedelta(days=OVERDUE_DAYS)
            )
        if users:
            self.on_made(users)
        self.made += made
        return made
