"""The resources one app instance owns, built in the lifespan and reached from requests through
the dependency beside each (`DatabaseDep`, `CachesDep`, `HubDep`, ...), which reads it from here."""

from __future__ import annotations

import asyncio
import functools
import shutil
from collections.abc import Collection
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request

from laneway.auth import service as auth_service
from laneway.auth.passwords import Passwords
from laneway.auth.ratelimit import AuthLimits, SharedLimiter
from laneway.blobs.store import AttachmentStorage
from laneway.caches import Caches
from laneway.config import Settings
from laneway.db import Database
from laneway.instance_keys import InstanceKeys
from laneway.jobs import housekeeping
from laneway.jobs.lock import JobsLock
from laneway.jobs.runners import Runners
from laneway.kit.cursor import CursorCodec
from laneway.labels.service import LABEL_EVENTS
from laneway.mail.mailer import MailRunner
from laneway.notifications.notifier import NotificationRunner
from laneway.notifications.waiting import Waiters
from laneway.observability.metrics import Deltas, Metrics, Sampler, file_sizes
from laneway.outbound.client import Outbound
from laneway.projects.access import ACCESS_EVENTS
from laneway.rate_limits.tiers import RateLimits
from laneway.rate_limits.windows import Windows
from laneway.realtime.fanout import Fanout, NotifiedAnnouncer
from laneway.realtime.guard import CredentialGuard
from laneway.realtime.hub import Hub
from laneway.redis_link import RedisLink
from laneway.transfer.jobs import TransferRunner
from laneway.webhooks.runner import WebhookRunner


@dataclass(slots=True)
class AppState:
    settings: Settings
    database: Database
    passwords: Passwords
    auth_limits: AuthLimits
    keys: InstanceKeys
    cursors: CursorCodec
    caches: Caches
    hub: Hub
    fanout: Fanout
    guard: CredentialGuard
    redis_link: RedisLink | None  # None: no Redis configured
    rate_limits: RateLimits
    outbound: Outbound  # the process's one HTTP client for calls it makes
    runners: Runners  # started only where this process runs the jobs
    jobs_lock: JobsLock | None  # None: every serving process runs the jobs
    waiters: Waiters  # the inbox's long polls
    attachments: AttachmentStorage
    metrics: Metrics | None  # None: no /metrics configured, nothing counted
    sampler: Sampler | None
    _stop_housekeeping: asyncio.Event = field(default_factory=asyncio.Event)
    _housekeeping: asyncio.Task[None] | None = None
    _taking_over: asyncio.Task[None] | None = None  # waits for the process running the jobs

    @classmethod
    def build(cls, settings: Settings) -> AppState:
        database = Database(settings)
        hub = Hub(settings.live.queue_size)
        keys = InstanceKeys(settings.secret_key)
        caches = Caches(settings.cache, access_events=ACCESS_EVENTS, label_events=LABEL_EVENTS)
        redis = settings.redis
        link = RedisLink.configured(redis)
        limiter = SharedLimiter(link, redis.url, redis.prefix)
        windows = Windows(link, redis.prefix, settings.rate_limit.sync_seconds)
        outbound = Outbound(settings.webhook)
        waiters = Waiters()
        hub.on_events = waiters.events_seen
        fanout = Fanout(
            hub, database, caches, link, settings.live.relay_interval_seconds, redis.prefix
        )
        fanout.on_notified = waiters.made  # a notifier elsewhere made them
        announce = None if link is None else NotifiedAnnouncer(link, redis.prefix)

        def made(user_ids: Collection[int]) -> None:
            waiters.made(user_ids)
            if announce is not None:
                announce(user_ids)  # and the other replicas' polls

        runners = Runners.build(settings, database, outbound, keys, on_notified=made)
        fanout.on_webhooks_changed = runners.webhooks.hooked.changed  # on another replica

        return cls(
            settings=settings,
            database=database,
            passwords=Passwords(settings.auth),
            auth_limits=AuthLimits(settings.auth, limiter),
            keys=keys,
            cursors=CursorCodec(lambda: keys.derive("cursor")),
            caches=caches,
            hub=hub,
            guard=CredentialGuard(hub, database, settings.live.credential_check_seconds),
            fanout=fanout,
            redis_link=link,
            rate_limits=RateLimits(
                settings.rate_limit, windows, functools.partial(auth_service.cached_usable, caches)
            ),
            outbound=outbound,
            runners=runners,
            jobs_lock=JobsLock(settings.data_dir, settings.database_url)
            if settings.jobs.one_process
            else None,
            waiters=waiters,
            attachments=AttachmentStorage(
                settings.attachment_store, settings.attachments_dir, settings.attachments.max_bytes
            ),
            metrics=None,
            sampler=None,
        )

    # the runners by name, as requests (TransfersDep) and tests reach them
    @property
    def webhooks(self) -> WebhookRunner:
        return self.runners.webhooks

    @property
    def transfers(self) -> TransferRunner:
        return self.runners.transfers

    @property
    def notifier(self) -> NotificationRunner:
        return self.runners.notifier

    @property
    def mailer(self) -> MailRunner | None:
        return self.runners.mailer

    def __post_init__(self) -> None:
        # caches first: the next request this process serves must already see the change
        self.database.commits.subscribe(self.caches.after_commit)
        self.database.commits.subscribe(self.fanout.after_commit)
        self.runners.wake_on(self.database.commits)
        self.database.commits.subscribe(self.attachments.after_commit)
        self.database.commits.subscribe_rollback(self.attachments.after_rollback)

    async def start(self) -> None:
        """What a serving process runs besides requests (the CLI's one-off commands skip it)."""
        await self.keys.load(self.database)
        self.database.watch.start()
        self.fanout.start()
        self.rate_limits.windows.start()
        if self.settings.jobs.in_process:
            if self.jobs_lock is None or self.jobs_lock.take():
                self._start_jobs()
            else:
                self._taking_over = asyncio.create_task(
                    self._take_over(self.jobs_lock), name="jobs-lock"
                )
        self.guard.start()
        config = self.settings.metrics
        if config.port is not None or config.token is not None:
            self.metrics = Metrics()
            self.sampler = Sampler(self.metrics, config.sample_seconds, self._collect)
            self.sampler.start()

    def _start_jobs(self) -> None:
        self.runners.start()
        self._housekeeping = asyncio.create_task(
            housekeeping.every(self.database, self.settings, self._stop_housekeeping)
        )

    async def _take_over(self, lock: JobsLock) -> None:
        """Another process of this data directory runs the jobs: this one, once that exits."""
        while not lock.take():  # noqa: ASYNC110 - only the lock tells when its holder exits
            await asyncio.sleep(self.settings.jobs.poll_seconds)
        self._start_jobs()

    async def close(self) -> None:
        if self._taking_over is not None:  # first: it must not start the jobs from here on
            self._taking_over.cancel()
            with suppress(asyncio.CancelledError):
                await self._taking_over
        if self.sampler is not None:
            await self.sampler.stop()
        self.keys.close()
        await self.guard.stop()
        if self._housekeeping is not None:
            self._stop_housekeeping.set()  # a run in progress stops after its batch
            await self._housekeeping
        await self.runners.stop()
        if self.jobs_lock is not None:
            self.jobs_lock.release()  # after the deliveries in flight: another takes over
        await self.outbound.close()
        await self.fanout.stop()
        await self.rate_limits.windows.stop()
        if self.redis_link is not None:
            await self.redis_link.close()
        await self.database.watch.stop()
        await self.database.dispose()

    def _collect(self, m: Metrics, deltas: Deltas) -> None:
        """What this process holds, for /metrics (the sampler's every few seconds)."""
        pool = self.database.pool_stats()
        m.pool_size.set(pool.size)
        m.pool_in_use.set(pool.in_use)
        m.pool_overflow.set(pool.overflow)
        deltas.add("pool.waits", pool.waits, m.pool_waits)
        deltas.add("pool.waited", pool.waited_seconds, m.pool_wait_seconds)
        for name, tally in self.caches.tallies().items():
            deltas.add((name, "hit"), tally.hits, m.cache.labels(name, "hit"))
            deltas.add((name, "miss"), tally.misses, m.cache.labels(name, "miss"))
        for limit, count in self.auth_limits.rejections().items():
            deltas.add(("limit", limit), count, m.rate_limited.labels(limit))
        hub = self.hub
        m.live_sockets.set(hub.sockets())
        for limit, count in self.rate_limits.rejected.items():
            deltas.add(("tier", limit), count, m.rate_limited.labels(limit))
        link = self.redis_link
        if link is not None:
            m.redis_up.set(1 if self.fanout.redis_up else 0)
            m.redis_circuit_open.set(1 if link.is_open else 0)
            deltas.add("redis.opened", link.opened_total, m.redis_circuit_opened)
        m.jobs.sample(self.webhooks, self.transfers, self.notifier, self.mailer)
        deltas.add("live.sent", hub.sent, m.live_sent)
        deltas.add("live.sent_at_once", hub.sent_at_once, m.live_sent_at_once)
        deltas.add("live.dropped", hub.dropped, m.live_dropped)
        data_dir = self.settings.data_dir
        if data_dir.exists():
            m.data_dir_free.set(shutil.disk_usage(data_dir).free)
        if self.settings.is_sqlite:
            database = self.database.engine.url.database
            if database and database != ":memory:":
                m.sqlite_bytes.set(file_sizes(Path(database)))


# async though it awaits nothing: FastAPI runs a plain function dependency in a worker thread,
# which costs more than a whole request answered from the caches.
async def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.laneway
    return state


StateDep = Annotated[AppState, Depends(get_state)]
