"""Notification emails, batched: at most one digest per person per window
(LANEWAY_EMAIL_BATCH_SECONDS), covering everything of theirs neither emailed nor read.

A digest lists every mention of the person waiting (up to MENTIONS_PER_EMAIL; any beyond go
first in the next digest, so none is ever dropped), then the newest assignments and the
newest other lines, and counts the rest by kind and by project. Notifications made before
this instance first sent email (the backlog found at first start, recorded in email_start)
are only counted, all in that one digest. See mail/digest.py for its shape.

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

import time
from collections.abc import Callable
from contextlib import AsyncExitStack
from datetime import datetime, timedelta
from email.errors import MessageError
from urllib.parse import urlsplit

import structlog

from laneway.config import Settings
from laneway.db import Database
from laneway.instance_keys import InstanceKeys
from laneway.kit.poll_loop import PollLoop
from laneway.mail import contents, repository, tokens, waiting
from laneway.mail.contents import Covered
from laneway.mail.digest import Digest, compose
from laneway.mail.smtp import Connection, MessageRefused, Smtp, SmtpTarget, SmtpUnavailable
from laneway.models import NotificationKind
from laneway.models.base import utcnow

log = structlog.get_logger("laneway.mail")
UNSUBSCRIBE_PATH = "/api/v1/unsubscribe"
PEOPLE_PER_PASS = 100
MENTIONS_PER_EMAIL = 100  # listed in one digest; any beyond head the next one
ASSIGNMENTS_LISTED = 20  # the newest; older ones are counted
LATEST_LISTED = 10  # the newest of the other kinds; older ones are counted
HORIZON = timedelta(days=7)  # older ones are left to the inbox (email off that long)
DIRECT = (NotificationKind.mentioned, NotificationKind.assigned)
DOWN_LOG_SECONDS = 600.0  # while the server stays down, one log line this often
STOP_SECONDS = 10.0


class MailRunner(PollLoop):
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
        super().__init__(min(30.0, config.batch_seconds / 10), name="mailer", log=log)
        self.database, self.keys, self.clock = database, keys, clock
        # when email started, if this is the first mailer ever (recorded at its first pass)
        self._start_candidate = clock()
        self._started_at: datetime | None = None
        self.window = timedelta(seconds=config.batch_seconds)
        self.sender = config.smtp_from
        http = settings.http
        self.public_url = (http.public_url or f"http://{http.host}:{http.port}").rstrip("/")
        self.smtp = Smtp(
            SmtpTarget.parse(config.smtp_url), urlsplit(self.public_url).hostname or "localhost"
        )
        self._down_logged_at: float | None = None  # None: the server answered last time
        self.sent = 0  # messages the server accepted, for /metrics

    def start(self) -> None:
        if not self.public_url.startswith("https://"):
            log.warning(
                "emails link to a URL that is not https; set LANEWAY_HTTP_PUBLIC_URL",
                url=self.public_url,
            )
        super().start()

    async def stop(self, grace: float = STOP_SECONDS) -> None:
        """The message in flight is finished and marked (STOP_SECONDS at most: a message the
        server accepted and the process forgot would go again a window later)."""
        await super().stop(grace)

    async def poll(self) -> None:
        await self.run_once()

    def unsubscribe_url(self, key: bytes, user_id: int) -> str:
        return f"{self.public_url}{UNSUBSCRIBE_PATH}?token={tokens.make(key, user_id)}"

    async def run_once(self) -> int:
        """One pass over everyone whose batch is due; how many messages went."""
        started_at = await self._email_start()
        now = self.clock()
        cutoff = now - self.window
        async with self.database.transaction(write=False) as session:
            due = await repository.due(session, cutoff, now - HORIZON, PEOPLE_PER_PASS)
        if not due:
            return 0
        key = self.keys.derive("unsubscribe")  # before any claim: a server starting up fails here
        sent = 0
        async with AsyncExitStack() as stack:
            connection: Connection | None = None
            for user_id, previous in due:
                if self.stopping:
                    break
                async with self.database.transaction() as session:
                    if not await repository.claim(session, user_id, now, cutoff):
                        continue  # another process has it
                window = waiting.Window(user_id, now - HORIZON, started_at)
                batch = await self._digest(window, key)
                if batch is None:  # read (or turned off) in the meantime
                    await self._release(user_id, now, previous)
                    continue
                digest, covered = batch
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
                    await waiting.mark_emailed(
                        session, window, covered.up_to, covered.mentions, self.clock()
                    )
                sent += 1
                self._up()
        self.sent += sent
        return sent

    async def _email_start(self) -> datetime:
        if self._started_at is None:
            async with self.database.transaction() as session:
                self._started_at = await waiting.first_start(session, self._start_candidate)
        return self._started_at

    async def _digest(
        self, window: waiting.Window, signing_key: bytes
    ) -> tuple[Digest, Covered] | None:
        """The message's content, and what it covers; None: nothing waits. A fixed number of
        statements, however much waits."""
        async with self.database.transaction(write=False) as session:
            to = await waiting.recipient(session, window.user_id)
            if to is None:
                return None
            mentions = await waiting.items(
                session,
                window,
                [NotificationKind.mentioned],
                newest_first=False,  # the oldest first: each mention gets its turn
                limit=MENTIONS_PER_EMAIL,
            )
            assignments = await waiting.items(
                session,
                window,
                [NotificationKind.assigned],
                newest_first=True,
                limit=ASSIGNMENTS_LISTED,
            )
            latest = await waiting.items(
                session, window, DIRECT, exclude=True, newest_first=True, limit=LATEST_LISTED
            )
            counts = await waiting.counts(session, window)
        url = self.public_url
        digest = Digest(
            to[0],
            to[1],
            f"{url}/",
            f"{url}/inbox",
            self.unsubscribe_url(signing_key, window.user_id),
            mentions=contents.newest_first(contents.item(r, url) for r in mentions),
            assignments=[contents.item(r, url) for r in assignments],
            latest=[contents.item(r, url) for r in latest],
            started_at=window.started_at,
        )
        covered = contents.fill(digest, counts)
        return None if covered is None else (digest, covered)

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
