"""The job runners, built one way wherever they run: the serving process when it runs the jobs
(state.py, LANEWAY_JOBS_IN_PROCESS; one of `serve --workers N`'s, jobs/lock.py) and `laneway
worker` (worker.py). Webhook deliveries, exports and imports, notifications and, with
LANEWAY_SMTP_URL set, the notification emails."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from laneway.commits import CommitChannel
from laneway.config import Settings
from laneway.db import Database
from laneway.instance_keys import InstanceKeys
from laneway.mail.mailer import MailRunner
from laneway.notifications.notifier import NotificationRunner
from laneway.outbound.client import Outbound
from laneway.transfer.jobs import TransferRunner
from laneway.webhooks.runner import WebhookRunner


@dataclass(frozen=True, slots=True)
class Runners:
    webhooks: WebhookRunner
    transfers: TransferRunner
    notifier: NotificationRunner
    mailer: MailRunner | None  # None: no LANEWAY_SMTP_URL, no email

    @classmethod
    def build(
        cls,
        settings: Settings,
        database: Database,
        outbound: Outbound,
        keys: InstanceKeys,
        *,
        on_notified: Callable[[set[int]], None] | None = None,
    ) -> Runners:
        """`on_notified`: whom the notifier made notifications for, after its commit (the
        serving process wakes its own inbox long polls, and both tell the other replicas')."""
        notifier = NotificationRunner(database, settings.jobs.poll_seconds)
        if on_notified is not None:
            notifier.on_made = on_notified
        return cls(
            webhooks=WebhookRunner(database, outbound, settings),
            transfers=TransferRunner(
                database,
                settings.jobs.poll_seconds,
                batch_rows=settings.transfer.import_batch_rows,
            ),
            notifier=notifier,
            # the emails' unsubscribe links are signed with the instance's keys
            mailer=MailRunner(database, settings, keys) if settings.email.smtp_url else None,
        )

    def wake_on(self, commits: CommitChannel) -> None:
        """A pass soon after this process commits events that give a runner work, not at the
        next poll (the serving process, whose requests write them): events some webhook wants,
        events someone may be told of. A commit of anything else wakes neither."""
        commits.subscribe(self.webhooks.after_commit)
        commits.subscribe(self.notifier.after_commit)

    def start(self) -> None:
        self.webhooks.start()
        self.transfers.start()
        self.notifier.start()
        if self.mailer is not None:
            self.mailer.start()

    async def stop(self) -> None:
        await self.webhooks.stop()  # attempts in flight finish (10 s at most)
        await self.transfers.stop()  # the same, then the rest goes back to the queue
        await self.notifier.stop()
        if self.mailer is not None:
            await self.mailer.stop()  # the message in flight is sent and marked
