"""The job runners' series, the same in the app's registry (embedded mode) and in `laneway
worker`'s: what the webhook and transfer queues hold and how old their oldest due item is,
what is in flight, and how attempts ended. Copied from the runners' plain tallies by a
sampler."""

from __future__ import annotations

from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge

OUTCOMES = ("delivered", "retry", "failed", "disabled")  # how a delivery attempt ends
TRANSFER_OUTCOMES = ("done", "failed", "retry")  # how an export or import attempt ends


class QueueRunner(Protocol):
    """The tallies of a runner whose queue is a table (webhook deliveries, transfers)."""

    @property
    def outcomes(self) -> dict[str, int]: ...
    @property
    def in_flight(self) -> int: ...
    @property
    def queue_depth(self) -> int: ...
    @property
    def queue_oldest_due_seconds(self) -> float: ...


class Made(Protocol):
    @property
    def made(self) -> int: ...  # notifications, in all


class Sent(Protocol):
    @property
    def sent(self) -> int: ...  # emails, in all


class JobMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.attempts = Counter(
            "laneway_webhook_attempts",
            "Webhook delivery attempts by outcome (delivered, retry, failed, disabled)",
            ["outcome"],
            registry=registry,
        )
        for outcome in OUTCOMES:  # every series from the start, for increase() in alerts
            self.attempts.labels(outcome)
        self.in_flight = Gauge(
            "laneway_jobs_in_flight",
            "Deliveries being sent now by this process",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.queue_depth = Gauge(
            "laneway_webhook_queue_depth",
            "Deliveries waiting to be sent or retried (the whole queue, as last counted)",
            registry=registry,
            multiprocess_mode="livemax",
        )
        self.queue_age = Gauge(
            "laneway_webhook_queue_oldest_due_seconds",
            "How long the oldest due delivery has waited (0: nothing due)",
            registry=registry,
            multiprocess_mode="livemax",
        )
        self.transfers = Counter(
            "laneway_transfer_attempts",
            "Export and import attempts by outcome (done, failed, retry)",
            ["outcome"],
            registry=registry,
        )
        for outcome in TRANSFER_OUTCOMES:
            self.transfers.labels(outcome)
        self.transfers_running = Gauge(
            "laneway_transfers_running",
            "Exports and imports this process is running now",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.transfer_queue_depth = Gauge(
            "laneway_transfer_queue_depth",
            "Exports and imports queued or running (the whole queue, as last counted)",
            registry=registry,
            multiprocess_mode="livemax",
        )
        self.transfer_queue_age = Gauge(
            "laneway_transfer_queue_oldest_due_seconds",
            "How long the oldest due export or import has waited (0: nothing due)",
            registry=registry,
            multiprocess_mode="livemax",
        )
        self.notifications = Counter(
            "laneway_notifications_made",
            "Notifications the notifier made (from events, and due-date reminders)",
            registry=registry,
        )
        self.emails = Counter(
            "laneway_emails_sent",
            "Notification emails the SMTP server accepted",
            registry=registry,
        )
        self._last: dict[tuple[str, str], int] = {}

    def sample(
        self, runner: QueueRunner, transfers: QueueRunner, notifier: Made, mailer: Sent | None
    ) -> None:
        self._add(self.notifications, "notifications", notifier.made)
        if mailer is not None:
            self._add(self.emails, "emails", mailer.sent)
        self._count(self.attempts, "webhooks", runner.outcomes)
        self.in_flight.set(runner.in_flight)
        self.queue_depth.set(runner.queue_depth)
        self.queue_age.set(runner.queue_oldest_due_seconds)
        self._count(self.transfers, "transfers", transfers.outcomes)
        self.transfers_running.set(transfers.in_flight)
        self.transfer_queue_depth.set(transfers.queue_depth)
        self.transfer_queue_age.set(transfers.queue_oldest_due_seconds)

    def _add(self, counter: Counter, name: str, total: int) -> None:
        last = self._last.get((name, ""), 0)
        if total > last:
            counter.inc(total - last)
        self._last[name, ""] = total

    def _count(self, counter: Counter, runner: str, outcomes: dict[str, int]) -> None:
        """Adds what the runner's tally gained since the last sample."""
        for outcome, total in outcomes.items():
            last = self._last.get((runner, outcome), 0)
            if total > last:
                counter.labels(outcome).inc(total - last)
            self._last[runner, outcome] = total
