"""Getting committed events to the viewers on every replica.

Each process delivers its own commits to its own viewers at once (hub). Other replicas hear of
them through Redis pub/sub when `LANEWAY_REDIS_URL` is set. The event log stays the source of
truth: a relay reads, for each project this process has viewers of, any event newer than the
last one it delivered. That covers a message Redis lost, a Redis outage, and a writer that
committed and died before publishing, at the cost of one small query per watched project per
interval.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable, Collection, Iterable, Sequence
from contextlib import suppress
from typing import Final

import orjson
import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from laneway.activity import repository as activity_repository
from laneway.caches import Caches
from laneway.commits import Changes
from laneway.db import Database
from laneway.realtime import wire
from laneway.realtime.hub import Hub
from laneway.realtime.wire import Published
from laneway.redis_link import RedisLink, RedisUnavailable

log = structlog.get_logger("laneway.live")
OUTBOX_SIZE = 10_000
PUBLISH_BATCH = 500
# on channel <prefix>:live:0, never a project's
REVOKED_TYPE: Final = "tokens.revoked"
NOTIFIED_TYPE: Final = "notifications.made"  # whose inbox long polls answer now, wherever they wait
WEBHOOKS_TYPE: Final = "webhooks.changed"  # projects whose commits now wake the webhook runner


class Fanout:
    def __init__(
        self,
        hub: Hub,
        database: Database,
        caches: Caches,
        link: RedisLink | None,
        relay_interval: float,
        prefix: str = "laneway",
    ) -> None:
        self.channels = f"{prefix}:live:"
        self.hub, self.database, self.relay_interval = hub, database, relay_interval
        self.caches = caches  # told of other replicas' commits as they arrive
        self.origin = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.link = link
        self._outbox: asyncio.Queue[Published] = asyncio.Queue(OUTBOX_SIZE)
        self._tasks: list[asyncio.Task[None]] = []
        self.publish_failures = 0
        self.redis_up = link is None
        self.on_notified: Callable[[list[int]], None] = lambda _user_ids: None
        self.on_webhooks_changed: Callable[[list[int]], None] = lambda _project_ids: None

    def _presence(self, project_id: int, user_id: int, here: bool) -> None:
        if self.link is None:
            return
        with suppress(asyncio.QueueFull):  # presence is best effort
            self._outbox.put_nowait(
                Published(project_id, 0, "presence", user_id, "here" if here else "gone")
            )

    def start(self) -> None:
        self.hub.on_presence = self._presence
        self._tasks.append(asyncio.create_task(self._relay(), name="live-relay"))
        if self.link is not None:
            self._tasks.append(asyncio.create_task(self._publisher(self.link), name="live-pub"))
            self._tasks.append(asyncio.create_task(self._subscriber(self.link), name="live-sub"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with suppress(asyncio.CancelledError):
                await task
        await self._flush()

    async def _flush(self) -> None:
        """What is still queued goes out in one last round trip. A one-off command (an
        operator's password reset or deactivation) commits its revocations in a process that
        never starts the publisher: the serving replicas must hear of them now, not once their
        cached copies of the tokens age out."""
        link = self.link
        if link is None or self._outbox.empty():
            return
        batch: list[Published] = []
        while not self._outbox.empty():
            batch.append(self._outbox.get_nowait())
        if link.is_open:  # the breaker: Redis is known to be out
            self.publish_failures += len(batch)
            return
        await self._send(link, batch)

    def after_commit(self, changes: Changes) -> None:
        """The commit channel's listener: events to viewers, revoked tokens' sockets closed,
        other replicas told of changed webhooks."""
        if changes.events:
            self.committed([wire.message(event) for event in changes.events])
        if changes.revoked_tokens:
            self.revoked(changes.revoked_tokens)
        if changes.webhooks_changed:
            self._tell(Published(0, 0, WEBHOOKS_TYPE, 0, _ids(set(changes.webhooks_changed))))

    def revoked(self, token_ids: Sequence[int]) -> None:
        """After a commit that ended tokens: their sockets close here now, and on the other
        replicas as soon as Redis tells them (the credential guard is the backstop)."""
        self.hub.revoke_tokens(token_ids)
        self._tell(Published(0, 0, REVOKED_TYPE, 0, _ids(token_ids)))

    def _tell(self, message: Published) -> None:
        """A message for the other replicas (on channel 0), never blocking."""
        if self.link is None:
            return
        try:
            self._outbox.put_nowait(message)
        except asyncio.QueueFull:
            self.publish_failures += 1

    def committed(self, events: Sequence[Published]) -> None:
        """After a commit: local viewers now, other replicas through Redis, never blocking."""
        self.hub.publish(events)
        if self.link is None:
            return
        for event in events:
            try:
                self._outbox.put_nowait(event)
            except asyncio.QueueFull:  # Redis is slow or down: the relay will deliver it
                self.publish_failures += 1

    async def _publisher(self, link: RedisLink) -> None:
        """Whatever queued meanwhile goes out in one round trip (a pipeline keeps the order):
        one PUBLISH at a time falls behind a busy process's commits, and the outbox grows.
        While the link is out, batches are dropped at once: the log relay delivers them."""
        while True:
            batch = [await self._outbox.get()]
            while len(batch) < PUBLISH_BATCH and not self._outbox.empty():
                batch.append(self._outbox.get_nowait())
            if link.is_open:
                self.publish_failures += len(batch)
                continue
            await self._send(link, batch)

    async def _send(self, link: RedisLink, batch: list[Published]) -> None:
        async def publish(client: Redis) -> None:
            async with client.pipeline(transaction=False) as pipe:
                for event in batch:
                    pipe.publish(f"{self.channels}{event.project_id}", self._encode(event))
                await pipe.execute()

        try:
            await link.call(publish)
        except (RedisUnavailable, RedisError) as error:
            self.publish_failures += len(batch)
            log.warning("live publish failed", error=str(error), events=len(batch))

    def _encode(self, event: Published) -> bytes:
        return encode(self.origin, event)

    async def _subscriber(self, link: RedisLink) -> None:
        delay, reached = 0.2, False
        while True:
            try:
                async with link.client.pubsub() as pubsub:
                    await link.call(lambda _client: pubsub.psubscribe(f"{self.channels}*"))
                    self.redis_up, delay, reached = True, 0.2, True
                    log.info("live fan-out subscribed to redis")
                    async for message in pubsub.listen():
                        if message.get("type") == "pmessage":
                            self._deliver(message["data"])
            except (RedisUnavailable, RedisError, OSError) as error:
                if self.redis_up:
                    log.warning(
                        "live fan-out lost redis; viewers resume from the log", error=str(error)
                    )
                    self.hub.resume_all()
                elif not reached:  # said once: a Redis down at start must not go unnoticed
                    reached = True
                    log.warning(
                        "redis is configured but unreachable; live changes reach other "
                        "replicas through the log relay until it answers",
                        error=str(error),
                    )
                self.redis_up = False
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    def _deliver(self, raw: bytes) -> None:
        data = orjson.loads(raw)
        if data["o"] == self.origin:
            return  # our own commit: already delivered locally
        if data["t"] == NOTIFIED_TYPE:
            self.on_notified([int(user_id) for user_id in data["m"].split(",")])
            return
        if data["t"] == WEBHOOKS_TYPE:
            self.on_webhooks_changed([int(project_id) for project_id in data["m"].split(",")])
            return
        if data["t"] == REVOKED_TYPE:
            revoked = [int(token_id) for token_id in data["m"].split(",")]
            self.caches.tokens_revoked(revoked)
            self.hub.revoke_tokens(revoked)
            return
        if data["s"] == 0:
            self.hub.remote_presence(data["o"], data["p"], data["u"], data["m"] == "here")
            return
        self.caches.remote_event(data["p"], data["s"], data["t"])
        self.hub.publish([Published(data["p"], data["s"], data["t"], data["u"], data["m"])])

    async def _relay(self) -> None:
        while True:
            await asyncio.sleep(self.relay_interval)
            for project_id, last in self.hub.watched().items():
                try:
                    await self._catch_up(project_id, last)
                except Exception as error:  # a relay pass must never kill the relay
                    log.warning("live relay failed", project_id=project_id, error=repr(error))

    async def _catch_up(self, project_id: int, last: int) -> None:
        async with self.database.transaction(write=False) as session:
            events = await activity_repository.events_after(session, project_id, last, limit=500)
        for event in events:
            self.caches.remote_event(event.project_id, event.seq, event.type)
        if events:
            self.hub.publish(wire.message(e) for e in events)


def encode(origin: str, event: Published) -> bytes:
    return orjson.dumps(
        {
            "o": origin,
            "p": event.project_id,
            "s": event.seq,
            "t": event.type,
            "u": event.subject_id,
            "m": event.text,
        }
    )


def _ids(ids: Iterable[int]) -> str:
    return ",".join(str(each) for each in sorted(ids))


class NotifiedAnnouncer:
    """A notifier (in a serving process or a worker) tells every replica whose notifications it
    made: their open long polls answer at once, not at timeout. Best effort: a message lost
    leaves the poll to its timeout, nothing else; with the circuit open it is not even tried."""

    def __init__(self, link: RedisLink, prefix: str = "laneway") -> None:
        self.link, self.channel = link, f"{prefix}:live:0"
        self.origin = f"worker-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._sending: set[asyncio.Task[None]] = set()

    def __call__(self, user_ids: Collection[int]) -> None:
        if not user_ids:
            return
        message = encode(self.origin, Published(0, 0, NOTIFIED_TYPE, 0, _ids(user_ids)))
        task = asyncio.get_running_loop().create_task(self._send(message))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _send(self, message: bytes) -> None:
        try:
            await self.link.call(lambda client: client.publish(self.channel, message))
        except RedisUnavailable:
            pass  # the link has said so once already
        except RedisError as error:
            log.warning("could not announce notifications", error=str(error))
