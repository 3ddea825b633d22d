"""The Redis link's circuit breaker against a real redis-server that the test stops."""

from __future__ import annotations

import asyncio
import time

import pytest

from deploy.local.services import RedisServer
from laneway.redis_link import RedisLink, RedisUnavailable


async def test_the_breaker_opens_fails_fast_and_closes_when_redis_answers(
    redis_server: RedisServer,
) -> None:
    link = RedisLink(redis_server.url, timeout=0.5, failures_to_open=3, open_seconds=1)
    try:
        await link.ping()
        assert link.state == "closed"
        redis_server.kill()
        for _ in range(3):
            with pytest.raises(RedisUnavailable):
                await link.ping()
        assert link.is_open
        assert link.opened_total == 1
        started = time.perf_counter()
        with pytest.raises(RedisUnavailable, match="circuit open"):
            await link.ping()  # not tried at all
        assert time.perf_counter() - started < 0.05
        redis_server.start()
        await asyncio.sleep(1.1)
        assert not link.is_open  # the next call is the trial
        await link.ping()
        assert link.state == "closed"
    finally:
        await link.close()


async def test_errors_that_are_not_outages_pass_through_and_never_open_it(
    redis_server: RedisServer,
) -> None:
    link = RedisLink(redis_server.url, failures_to_open=1)
    try:
        for _ in range(3):
            with pytest.raises(Exception, match="unknown command"):
                await link.call(lambda client: client.execute_command("NO-SUCH-COMMAND"))
        assert link.state == "closed"
    finally:
        await link.close()
