"""The job runner's series, the same in the app's registry (embedded mode) and in `laneway
worker`'s: what the webhook queue holds and how old its oldest due delivery is, what is in
flight, and how attempts ended. Copied from the runner's plain tallies by a sampler."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge

if TYPE_CHECKING:
    from laneway.webhooks.runner import WebhookRunner

OUTCOMES = ("delivered", "retry", "failed", "disabled")  # how a delivery attempt ends


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
        self._last: dict[str, int] = {}

    def sample(self, runner: WebhookRunner) -> None:
        for outcome, total in runner.outcomes.items():
            last = self._last.get(outcome, 0)
            if total > last:
                self.attempts.labels(outcome).inc(total - last)
            self._last[outcome] = total
        self.in_flight.set(runner.in_flight)
        self.queue_depth.set(runner.queue_depth)
        self.queue_age.set(runner.queue_oldest_due_seconds)
