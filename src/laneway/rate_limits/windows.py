"""Moving windows counted here first and shared through Redis in the background.

`limits`' Redis strategies cost a round trip per hit, and a cached board answer costs about a
tenth of a millisecond of CPU: a limit checked that way would cost more than the request it
guards. So each process decides from what it knows: its own hits, plus everyone's as Redis last
told it. A window is counted in sixtieths (a minute's in seconds); every `sync_seconds` the hits
taken meanwhile are added to the key's hash in Redis (one field per sixtieth) and the totals
read back, for every key at once in one pipeline. A key this process has not seen lately is
read from Redis before its first decision, so a client that moves to another replica is not
given a fresh allowance; a busy client costs no round trip at all. Processes can over-admit by
at most what they let through within one sync interval.

With no Redis, or while its breaker is open, hits stay local (the limits hold per process), and
are added to Redis once it answers again.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple, cast

import structlog
from limits import RateLimitItem, parse
from redis.asyncio import Redis

from laneway.redis_link import RedisLink, RedisUnavailable

log = structlog.get_logger("laneway.limits")
SLOTS = 60  # a window is counted in this many parts
FORGET_EVERY_S = 10.0  # idle keys are looked for this often (a pass visits every key)
STALE_SYNCS = 5  # a view older than this many sync intervals is read again before deciding


@dataclass(frozen=True)
class Limit:
    name: str  # the tier: anonymous, session, token, admin
    amount: int
    seconds: int

    @classmethod
    def parse(cls, name: str, text: str) -> Limit:
        item: RateLimitItem = parse(text)
        return cls(name, item.amount, item.get_expiry())

    @property
    def slot_seconds(self) -> float:
        return self.seconds / SLOTS

    @property
    def policy(self) -> str:
        """The RateLimit-Policy header's item (draft-ietf-httpapi-ratelimit-headers)."""
        return self.policy_header.decode()

    @cached_property
    def policy_header(self) -> bytes:
        return f'"{self.name}";q={self.amount};w={self.seconds}'.encode()

    def state(self, decision: Decision) -> str:
        """The RateLimit header's item: what is left, and for how long."""
        return f'"{self.name}";r={decision.remaining};t={decision.reset_seconds}'


class Decision(NamedTuple):  # made per request: a tuple is the cheapest to build
    allowed: bool
    remaining: int
    reset_seconds: int  # until the oldest counted hit leaves the window (allowed or not)


@dataclass(slots=True)
class _Counts:
    limit: Limit
    pending: dict[int, int] = field(default_factory=dict)  # ours, not yet sent
    sending: dict[int, int] = field(default_factory=dict)  # ours, on their way
    shared: dict[int, int] = field(default_factory=dict)  # everyone's, as last read
    read_at: float = 0.0  # when `shared` was read (0: never)
    used_at: float = 0.0
    # the window's total and its oldest slot with hits, as of slot `at` (-1: to be counted
    # again): a busy key is summed once per slot, not once per request
    at: int = -1
    used: int = 0
    first: int | None = None

    def changed(self) -> None:
        self.at = -1

    def tally(self, current: int) -> None:
        oldest = current - SLOTS + 1
        used, first = 0, None
        for part in (self.shared, self.sending, self.pending):
            for slot, hits in part.items():
                if slot >= oldest:
                    used += hits
                    if first is None or slot < first:
                        first = slot
        self.at, self.used, self.first = current, used, first

    def window(self, current: int) -> dict[int, int]:
        oldest, window = current - SLOTS + 1, dict[int, int]()
        for part in (self.shared, self.sending, self.pending):
            for slot, hits in part.items():
                if slot >= oldest:
                    window[slot] = window.get(slot, 0) + hits
        return window


def _add(into: dict[int, int], counts: dict[int, int]) -> None:
    for slot, hits in counts.items():
        into[slot] = into.get(slot, 0) + hits


class Windows:
    def __init__(
        self,
        link: RedisLink | None,
        prefix: str,
        sync_seconds: float = 0.2,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.link, self.sync_seconds, self.clock = link, sync_seconds, clock
        self._prefix = f"{prefix}:rate:"
        self._keys: dict[str, _Counts] = {}
        self._dirty: set[str] = set()  # keys with hits not yet sent
        self._forgotten_at = clock()
        self._reads: dict[str, asyncio.Future[None]] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="rate-limit-sync")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task

    def __len__(self) -> int:
        return len(self._keys)

    def needs_read(self, limit: Limit, key: str) -> bool:
        """True when the decision should wait for Redis's count of this key first."""
        if self.link is None or self.link.is_open:
            return False
        counts = self._keys.get(limit.name + key)
        stale = self.clock() - STALE_SYNCS * self.sync_seconds
        return counts is None or counts.read_at < stale

    async def read(self, limit: Limit, key: str) -> None:
        """Redis's count of this key (concurrent callers share one read); a failure leaves the
        local view as it is."""
        full = limit.name + key
        running = self._reads.get(full)
        if running is None and self.link is not None:
            running = asyncio.ensure_future(self._read(self.link, limit, full))
            self._reads[full] = running
            running.add_done_callback(lambda _: self._reads.pop(full, None))
        if running is not None:
            await asyncio.shield(running)

    async def _read(self, link: RedisLink, limit: Limit, full: str) -> None:
        counts = self._counts(limit, full)
        try:
            raw = await link.call(lambda client: client.hgetall(self._prefix + full))
        except RedisUnavailable:
            counts.read_at = self.clock()  # decide locally; the sync loop tries again
            return
        counts.shared = {int(slot): int(hits) for slot, hits in raw.items()}
        counts.read_at = self.clock()
        counts.changed()

    def _counts(self, limit: Limit, full: str) -> _Counts:
        counts = self._keys.get(full)
        if counts is None:
            counts = self._keys[full] = _Counts(limit)
        return counts

    def take(self, limit: Limit, key: str, *, count: bool = True) -> Decision:
        """Counts one hit (with `count`) unless the window is full; never waits."""
        now = self.clock()
        full = limit.name + key
        counts = self._counts(limit, full)
        counts.used_at = now
        current = int(now / limit.slot_seconds)
        if counts.at != current:
            counts.tally(current)
        used = counts.used
        if used >= limit.amount:
            return Decision(False, 0, self._wait(limit, counts.window(current), used, now))
        if count:
            pending = counts.pending
            if len(pending) >= SLOTS:  # without Redis nothing else drops old slots
                oldest = current - SLOTS + 1
                pending = counts.pending = {s: h for s, h in pending.items() if s >= oldest}
            pending[current] = pending.get(current, 0) + 1
            self._dirty.add(full)
            used = counts.used = used + 1
            if counts.first is None:
                counts.first = current
        if counts.first is None:
            return Decision(True, limit.amount, limit.seconds)
        reset = math.ceil((counts.first + SLOTS) * limit.slot_seconds - now)
        return Decision(True, limit.amount - used, max(reset, 1))

    @staticmethod
    def _wait(limit: Limit, window: dict[int, int], used: int, now: float) -> int:
        """Seconds until enough of the counted hits have left the window for one more."""
        for slot in sorted(window):
            used -= window[slot]
            if used < limit.amount:
                return max(math.ceil((slot + SLOTS) * limit.slot_seconds - now), 1)
        return limit.seconds  # not reached: the last slot alone cannot exceed the amount

    async def _run(self) -> None:
        interval = self.sync_seconds if self.link is not None else 5.0
        while True:
            await asyncio.sleep(interval)
            try:
                if self.link is not None and not self.link.is_open:
                    await self.sync()
                if self.clock() - self._forgotten_at > FORGET_EVERY_S:
                    self.forget_idle()
            except Exception as error:  # the loop must outlive any one pass
                log.warning("rate limit sync failed", error=repr(error))

    async def sync(self) -> None:
        """Sends the hits taken since the last sync and reads back every key's totals."""
        link, dirty = self.link, self._dirty
        if link is None or not dirty:
            return
        self._dirty = set()
        sending = [(full, self._keys[full]) for full in dirty if full in self._keys]
        for _, counts in sending:
            counts.sending, counts.pending = counts.pending, {}

        async def send(client: Redis) -> list[object]:
            async with client.pipeline(transaction=False) as pipe:
                for full, counts in sending:
                    name = self._prefix + full
                    for slot, hits in counts.sending.items():
                        pipe.hincrby(name, str(slot), hits)
                    pipe.expire(name, counts.limit.seconds + math.ceil(counts.limit.slot_seconds))
                    pipe.hgetall(name)
                return await pipe.execute()

        try:
            replies = await link.call(send)
        except RedisUnavailable:
            self._dirty.update(dirty)
            for _, counts in sending:  # kept, and sent once Redis answers
                _add(counts.pending, counts.sending)
                counts.sending = {}
                counts.changed()
            return
        now, stale_fields = self.clock(), []
        position = 0
        for full, counts in sending:
            position += len(counts.sending) + 2
            raw = cast(dict[bytes, bytes], replies[position - 1])
            oldest = int(now / counts.limit.slot_seconds) - SLOTS + 1
            counts.shared = {int(s): int(h) for s, h in raw.items() if int(s) >= oldest}
            old = [s for s in raw if int(s) < oldest]
            if old:
                stale_fields.append((self._prefix + full, old))
            counts.sending, counts.read_at = {}, now
            counts.changed()
        if stale_fields:
            await self._drop_fields(link, stale_fields)

    @staticmethod
    async def _drop_fields(link: RedisLink, stale: list[tuple[str, list[bytes]]]) -> None:
        async def drop(client: Redis) -> None:
            async with client.pipeline(transaction=False) as pipe:
                for name, fields in stale:
                    pipe.hdel(name, *fields)
                await pipe.execute()

        with suppress(RedisUnavailable):
            await link.call(drop)

    def forget_idle(self) -> None:
        """Keys with no hit for a whole window hold nothing worth keeping (nor sending)."""
        now = self._forgotten_at = self.clock()
        idle = [
            full
            for full, counts in self._keys.items()
            if not counts.sending and now - counts.used_at > counts.limit.seconds
        ]
        for full in idle:
            del self._keys[full]
            self._dirty.discard(full)
