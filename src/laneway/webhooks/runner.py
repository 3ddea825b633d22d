"""The webhook job runner: turns committed events into deliveries and sends the due ones,
many webhooks at once (up to LANEWAY_JOBS_CONCURRENCY in flight) but each webhook's in event
order. The deliveries table is its queue, so the same loop runs in the serving process (the
embedded default) or in `laneway worker` processes, any number of them: a claim is a
conditional UPDATE, a claim's lease outlives the attempt, and a worker killed mid-delivery
leaves a lease that runs out, after which the delivery is sent again.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import structlog

from laneway.commits import Changes
from laneway.config import Settings
from laneway.db import Database
from laneway.kit.poll_loop import PollLoop
from laneway.models import DeliveryState, Webhook, WebhookDelivery
from laneway.models.base import utcnow
from laneway.observability.job_metrics import OUTCOMES
from laneway.outbound.client import Outbound
from laneway.webhooks import outbox, repository, sender
from laneway.webhooks.hooked import HookedProjects

log = structlog.get_logger("laneway.webhooks")
# the queue's depth and age, and which projects' commits wake the runner, are read this often,
# not every pass
MEASURE_EVERY_S = 5.0


class WebhookRunner(PollLoop):
    def __init__(
        self,
        database: Database,
        outbound: Outbound,
        settings: Settings,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__(settings.jobs.poll_seconds, name="webhook-runner", log=log)
        self.database, self.outbound, self.clock = database, outbound, clock
        self.delays = settings.webhook.delays
        self.lease = timedelta(
            seconds=settings.webhook.timeout_seconds + settings.jobs.lease_margin_seconds
        )
        self.concurrency = settings.jobs.concurrency
        self._sending: dict[int, asyncio.Task[None]] = {}  # by webhook
        self.outcomes = dict.fromkeys(OUTCOMES, 0)  # attempts by how they ended, for /metrics
        self.queue_depth = 0
        self.queue_oldest_due_seconds = 0.0
        self._measured_at = 0.0
        self.hooked = HookedProjects()

    def after_commit(self, changes: Changes) -> None:
        """A pass soon if this process committed an event some webhook wants (hooked.py)."""
        self.hooked.changed(changes.webhooks_changed)
        if any(self.hooked.wanted(e.project_id, e.type) for e in changes.events):
            self.wake_soon()

    async def stop(self, grace: float = 10.0) -> None:
        """Stops taking work, lets attempts in flight finish for `grace` seconds; any still
        running is cancelled, and its lease runs out so another runner sends it again."""
        await super().stop()
        in_flight = list(self._sending.values())
        if in_flight:
            _done, pending = await asyncio.wait(in_flight, timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    @property
    def in_flight(self) -> int:
        return len(self._sending)

    async def poll(self) -> None:
        await self.run_once()

    async def run_once(self) -> int:
        """One pass: new deliveries from the log, then every due one started; returns how
        many attempts it started."""
        await outbox.dispatch(self.database)
        if time.monotonic() - self._measured_at > MEASURE_EVERY_S:
            await self._measure()
        free = self.concurrency - len(self._sending)
        if free <= 0:
            return 0
        now = self.clock()
        async with self.database.transaction(write=False) as session:
            due = await repository.due(session, now, free, set(self._sending))
        wanted = [d for d, w in due if w not in self._sending]
        if not wanted:
            return 0
        lease_until = now + self.lease
        async with self.database.transaction() as session:
            claimed = await repository.claim(session, wanted, now, lease_until)
            session.expunge_all()  # plain values from here on: the session closes
        for delivery, webhook in claimed:
            task = asyncio.create_task(
                self._send(webhook, delivery, lease_until), name=f"webhook-{webhook.id}"
            )
            self._sending[webhook.id] = task
            task.add_done_callback(functools.partial(self._finished, webhook.id))
        return len(claimed)

    async def _measure(self) -> None:
        self._measured_at = time.monotonic()
        now = self.clock()
        async with self.database.transaction(write=False) as session:
            await self.hooked.read(session)
            depth, oldest = await repository.queue(session, now)
        self.queue_depth = depth
        self.queue_oldest_due_seconds = (
            0.0 if oldest is None else max(0.0, (now - oldest).total_seconds())
        )

    def _finished(self, webhook_id: int, _task: asyncio.Task[None]) -> None:
        self._sending.pop(webhook_id, None)
        self.wake()  # its next delivery may be due already

    async def drain(self) -> None:
        """Waits for every attempt in flight (tests, the bench)."""
        while self._sending:
            await asyncio.gather(*self._sending.values(), return_exceptions=True)

    async def _send(self, webhook: Webhook, delivery: WebhookDelivery, lease: datetime) -> None:
        outcome = await sender.attempt(self.outbound.session, webhook, delivery, self.clock())
        try:
            await self._record(delivery.id, lease, outcome)
        except Exception as error:  # the lease runs out and the delivery is sent again
            log.warning("webhook outcome not recorded", delivery=delivery.id, error=repr(error))

    async def _record(self, delivery_id: int, lease: datetime, outcome: sender.Outcome) -> None:
        now = self.clock()
        async with self.database.transaction() as session:
            delivery = await session.get(WebhookDelivery, delivery_id)
            if (
                delivery is None
                or delivery.state is not DeliveryState.sending
                or delivery.lease_until != lease
            ):
                return  # its lease ran out and another runner took it over
            delivery.last_status = outcome.status
            delivery.last_latency_ms = outcome.latency_ms
            delivery.last_error = outcome.error
            delivery.response_snippet = outcome.snippet
            delivery.lease_until = None
            if outcome.delivered:
                delivery.state, delivery.delivered_at = DeliveryState.delivered, now
                ended = "delivered"
            elif outcome.status == 410:  # the receiver says the endpoint is gone for good
                delivery.state = DeliveryState.failed
                webhook = await session.get(Webhook, delivery.webhook_id)
                if webhook is not None:
                    webhook.active = False
                    webhook.disabled_reason = "The endpoint answered 410 Gone."
                log.warning("webhook disabled: 410 Gone", webhook=delivery.webhook_id)
                ended = "disabled"
            elif delivery.attempts >= len(self.delays):
                delivery.state = DeliveryState.failed
                ended = "failed"
            else:
                wait = max(self.delays[delivery.attempts], outcome.retry_after or 0.0)
                delivery.state = DeliveryState.pending
                delivery.next_attempt_at = now + timedelta(seconds=wait)
                ended = "retry"
        self.outcomes[ended] += 1
