"""The resources one app instance owns, built in the lifespan and reached from requests."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from laneway.attachments.storage import AttachmentStorage
from laneway.auth import service as auth_service
from laneway.auth.passwords import Passwords
from laneway.auth.ratelimit import AuthLimits, SharedLimiter
from laneway.caches import Caches
from laneway.config import Settings
from laneway.db import Database
from laneway.instance_keys import InstanceKeys
from laneway.jobs import housekeeping
from laneway.kit.cursor import CursorCodec
from laneway.labels.service import LABEL_EVENTS
from laneway.mail.mailer import MailRunner
from laneway.notifications.notifier import NotificationRunner
from laneway.notifications.waiting import Waiters
from laneway.observability.metrics import Metrics, Sampler
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
    webhooks: WebhookRunner
    transfers: TransferRunner
    notifier: NotificationRunner
    waiters: Waiters  # the inbox's long polls
    attachments: AttachmentStorage
    mailer: MailRunner | None  # None: no LANEWAY_SMTP_URL, no email
    metrics: Metrics | None  # None: no /metrics configured, nothing counted
    sampler: Sampler | None
    _stop_housekeeping: asyncio.Event = field(default_factory=asyncio.Event)
    _housekeeping: asyncio.Task[None] | None = None

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
            webhooks=WebhookRunner(database, outbound, settings),
            transfers=TransferRunner(
                database,
                settings.jobs.poll_seconds,
                batch_rows=settings.transfer.import_batch_rows,
            ),
            notifier=NotificationRunner(database, settings.jobs.poll_seconds, on_made=made),
            waiters=waiters,
            attachments=AttachmentStorage(
                settings.attachment_store, settings.attachments_dir, settings.attachments.max_bytes
            ),
            mailer=MailRunner(database, settings, keys) if settings.email.smtp_url else None,
            metrics=None,
            sampler=None,
        )

    def __post_init__(self) -> None:
        # caches first: the next request this process serves must already see the change
        self.database.commits.subscribe(self.caches.after_commit)
        self.database.commits.subscribe(self.fanout.after_commit)
        self.database.commits.subscribe(self.webhooks.after_commit)
        self.database.commits.subscribe(self.notifier.after_commit)
        self.database.commits.subscribe(self.attachments.after_commit)
        self.database.commits.subscribe_rollback(self.attachments.after_rollback)

    async def start(self) -> None:
        """What a serving process runs besides requests (the CLI's one-off commands skip it)."""
        await self.keys.load(self.database)
        self.database.watch.start()
        self.fanout.start()
        self.rate_limits.windows.start()
        if self.settings.jobs.in_process:
            self.webhooks.start()
            self.transfers.start()
            self.notifier.start()
            if self.mailer is not None:
                self.mailer.start()
            self._housekeeping = asyncio.create_task(
                housekeeping.every(self.database, self.settings, self._stop_housekeeping)
            )
        self.guard.start()
        config = self.settings.metrics
        if config.port is not None or config.token is not None:
            self.metrics = Metrics()
            self.sampler = Sampler(self.metrics, self, config.sample_seconds)
            self.sampler.start()

    async def close(self) -> None:
        if self.sampler is not None:
            await self.sampler.stop()
        self.keys.close()
        await self.guard.stop()
        if self._housekeeping is not None:
            self._stop_housekeeping.set()  # a run in progress stops after its batch
            await self._housekeeping
        await self.webhooks.stop()
        await self.transfers.stop()
        await self.notifier.stop()
        if self.mailer is not None:
            await self.mailer.stop()
        await self.outbound.close()
        await self.fanout.stop()
        await self.rate_limits.windows.stop()
        if self.redis_link is not None:
            await self.redis_link.close()
        await self.database.watch.stop()
        await self.database.dispose()


# async though it awaits nothing: FastAPI runs a plain function dependency in a worker thread,
# which costs more than a whole request answered from the caches.
async def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.laneway
    return state


StateDep = Annotated[AppState, Depends(get_state)]
