"""Two processes' fan-outs over a real Redis: a burst of commits in one reaches the other's
viewers complete and in order, across the publisher's batches."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from deploy.local.services import RedisServer
from laneway.caches import Caches
from laneway.config import CacheSettings, Settings
from laneway.db import Database
from laneway.realtime.fanout import PUBLISH_BATCH, Fanout
from laneway.realtime.hub import Hub
from laneway.realtime.wire import Published
from laneway.redis_link import RedisLink


async def _until(condition: Callable[[], bool], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


def _caches() -> Caches:
    return Caches(CacheSettings(), access_events=(), label_events=())  # nothing cached here


async def test_a_burst_arrives_complete_and_in_order(
    settings: Settings, redis_server: RedisServer
) -> None:
    database = Database(settings)
    count = 2 * PUBLISH_BATCH + 7
    here, there = Hub(queue_size=10), Hub(queue_size=count + 10)
    # no relay pass during the test: only Redis carries the events
    links = [RedisLink(redis_server.url), RedisLink(redis_server.url)]
    sender = Fanout(here, database, _caches(), links[0], 3600, "burst")
    receiver = Fanout(there, database, _caches(), links[1], 3600, "burst")
    sender.start()
    receiver.start()
    try:
        await _until(lambda: receiver.redis_up)
        viewer = there.subscribe(1, user_id=7, token_id=1, seen=0)
        burst = [Published(1, s, "task.moved", s, f'{{"seq":{s}}}') for s in range(1, count + 1)]
        sender.committed(burst)
        got: list[int] = []

        def drained() -> bool:
            while not viewer.queue.empty():
                event = viewer.queue.get_nowait()
                if event.seq:  # not presence
                    got.append(event.seq)
            return len(got) >= count

        await _until(drained)
        assert got == list(range(1, count + 1))
        assert sender.publish_failures == 0
        assert not viewer.closed.is_set()
    finally:
        await sender.stop()
        await receiver.stop()
        for link in links:
            await link.close()
        await database.dispose()
