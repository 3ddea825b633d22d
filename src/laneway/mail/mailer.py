"""Notification emails, batched: at most one message per person per window
(LANEWAY_EMAIL_BATCH_SECONDS), listing everything of theirs neither emailed nor read.

A person's batch is due once the oldest notification waiting is a window old and no batch of
theirs started within the window, so what happens in a burst goes out in one message and a
notification read in the app meanwhile is left out. A runner claims the batch with one
conditional upsert (repository.claim): any number of processes may run the mailer and each
batch is claimed once. The message is sent outside any transaction, and its notifications are
marked emailed only once the SMTP server has accepted it. A server that is down or refuses us
gives the claim back (the batch goes as soon as it answers) and costs a log line; a message it
refuses is tried again a window later. Stopping lets the message in flight be sent and marked;
a process that dies between the server's acceptance and the mark sends that batch again a
window later (at least once).

Runs where the other jobs run (the serving process on the embedded default, else `laneway
worker`), only when LANEWAY_SMTP_URL is set.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from contextlib import AsyncExitStack, suppress
from datetime import datetime, timedelta
from email.errors import MessageError
from urllib.parse import urlsplit

import structlog

from laneway.config import Settings
from laneway.db import Database
from laneway.instance_keys import InstanceKeys
from laneway.mail import repository, tokens
from laneway.mail.digest import Digest, Line, ProjectGroup, TaskGroup, compose
from laneway.mail.smtp import Connection, MessageRefused, Smtp, SmtpTarget, SmtpUnavailable
from laneway.models.base import utcnow

log = structlog.get_logger("laneway.mail")
UNSUBSCRIBE_PATH = "/api/v1/unsubscribe"
PEOPLE_PER_PASS = 100
LISTED = 50  # lines in one message; the rest are counted ("and 12 more in your inbox")
FETCHED = 500  # notifications one message covers at most; any beyond wait for the next
STALE = timedelta(days=1)  # older ones are left to the inbox (email just turned on, a long outage)
DOWN_LOG_SECONDS = 600.0  # while the server stays down, one log line this often
STOP_SECONDS = 10.0


class MailRunner:
    def __init__(
        self,
        database: Database,
        settings: Settings,
        keys: InstanceKeys,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        config = settings.email
        if config.smtp_url is None:
            raise ValueError("the mailer needs LANEWAY_SMTP_URL")
        self.database, self.keys, self.clock = database, keys, clock
        self.window = timedelta(seconds=config.batch_seconds)
        self.poll_seconds = min(30.0, config.batch_seconds / 10)
        self.sender = config.smtp_from
        http = settings.http
        self.public_url = (http.public_url or f"http://{http.host}:{http.port}").rstrip("/")
        self.smtp = Smtp(
            SmtpTarget.parse(config.smtp_url), urlsplit(self.public_url).hostname or "localhost"
        )
        self._loop: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._down_logged_at: float | None = None  # None: the server answered last time
        self.sent = 0  # messages the server accepted, for /metrics

    def start(self) -> None:
        if not self.public_url.startswith("https://"):
            log.warning(
                "emails link to a URL that is not https; set LANEWAY_HTTP_PUBLIC_URL",
                url=self.public_url,
            )
        self._loop = asyncio.create_task(self._run(), name="mailer")

    async def stop(self) -> None:
        """The message in flight is finished and marked (STOP_SECONDS at most: a message the
        server accepted and the process forgot would go again a window later)."""
        if self._loop is None:
            return
        self._stopping.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._loop), STOP_SECONDS)
        except TimeoutError:
            self._loop.cancel()
            with suppress(asyncio.CancelledError):
                await self._loop

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.run_once()
            except Exception as error:  # the database away: try again next round
                log.warning("mailer pass failed", error=repr(error))
            with suppress(TimeoutError):
                async with asyncio.timeout(self.poll_seconds):
                    await self._stopping.wait()

    def unsubscribe_url(self, key: bytes, user_id: int) -> str:
        return f"{self.public_url}{UNSUBSCRIBE_PATH}?token={tokens.make(key, user_id)}"

    async def run_once(self) -> int:
        """One pass over everyone whose batch is due; how many messages went."""
        now = self.clock()
        cutoff = now - self.window
        async with self.database.transaction(write=False) as session:
            due = await repository.due(session, cutoff, now - STALE, PEOPLE_PER_PASS)
        if not due:
            return 0
        key = self.keys.derive("unsubscribe")  # before any claim: a server starting up fails here
        sent = 0
        async with AsyncExitStack() as stack:
            connection: Connection | None = None
            for user_id, previous in due:
                if self._stopping.is_set():
                    break
                async with self.database.transaction() as session:
                    if not await repository.claim(session, user_id, now, cutoff):
                        continue  # another process has it
                batch = await self._digest(user_id, now, key)
                if batch is None:  # read (or turned off) in the meantime
                    await self._release(user_id, now, previous)
                    continue
                digest, ids = batch
                try:
                    message = compose(digest, self.sender, now)
                except (ValueError, MessageError) as error:  # an address no header can hold
                    log.warning(
                        "notification email not composed", user_id=user_id, error=repr(error)
                    )
                    continue  # kept claimed: tried again next window
                try:
                    if connection is None:
                        connection = await stack.enter_async_context(self.smtp.connect())
                    await connection.send(message)
                except SmtpUnavailable as error:
                    await self._release(user_id, now, previous)
                    self._down(error)
                    break
                except MessageRefused as error:  # kept claimed: tried again next window
                    log.warning("notification email refused", user_id=user_id, error=str(error))
                    continue
                async with self.database.transaction() as session:
                    await repository.mark_emailed(session, ids, self.clock())
                sent += 1
                self._up()
        self.sent += sent
        return sent

    async def _digest(
        self, user_id: int, now: datetime, signing_key: bytes
    ) -> tuple[Digest, list[int]] | None:
        """The message's content, and every notification it covers; None: nothing waits."""
        async with self.database.transaction(write=False) as session:
            rows = await repository.batch(session, user_id, now - STALE, FETCHED)
        if not rows:
            return None
        email, name = rows[0][6], rows[0][7]
        digest = Digest(
            email, name, f"{self.public_url}/", self.unsubscribe_url(signing_key, user_id)
        )
        for notice, key, project_name, number, title, actor, _, _ in rows[:LISTED]:
            project = digest.projects.setdefault(notice.project_id, ProjectGroup(project_name))
            task = project.tasks.get(notice.task_id)
            if task is None:
                url = f"{self.public_url}/p/{notice.project_id}"
                if notice.task_id is not None and number is not None and title is not None:
                    task = TaskGroup(f"{url}?task={notice.task_id}", f"{key}-{number}", title)
                else:
                    task = TaskGroup(url, "", project_name)
                project.tasks[notice.task_id] = task
            task.lines.append(Line(notice.kind, actor, notice.excerpt, notice.due_on))
        digest.more = max(0, len(rows) - LISTED)
        return digest, [row[0].id for row in rows]

    async def _release(self, user_id: int, claimed_at: datetime, previous: datetime | None) -> None:
        async with self.database.transaction() as session:
            await repository.release(session, user_id, claimed_at, previous)

    def _down(self, error: SmtpUnavailable) -> None:
        now = time.monotonic()
        if self._down_logged_at is None or now - self._down_logged_at >= DOWN_LOG_SECONDS:
            log.warning(
                "smtp server unavailable; notification emails wait for it",
                host=self.smtp.target.host,
                port=self.smtp.target.port,
                error=str(error),
            )
            self._down_logged_at = now

    def _up(self) -> None:
        if self._down_logged_at is not None:
            log.info("smtp server reachable again", host=self.smtp.target.host)
            self._down_logged_at = None
