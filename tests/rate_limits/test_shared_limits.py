"""Limits shared through a real Redis: across two `laneway serve` processes, and per process
while that Redis is stopped (each test has a redis-server of its own)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from redis.asyncio import Redis

from deploy.local.services import RedisServer
from laneway.app import create_app
from laneway.config import RateLimitSettings, RedisSettings
from laneway.state import AppState
from tests.conftest import make_settings, truncate_postgres
from tests.realtime.conftest import start_servers, stop_server
from tests.support import API


@pytest.mark.system
def test_two_processes_share_one_allowance(postgres_url: str, redis_server: RedisServer) -> None:
    truncate_postgres(postgres_url)
    started = start_servers(
        2,
        postgres_url,
        LANEWAY_REDIS_URL=redis_server.url,
        LANEWAY_RATE_LIMIT_ANONYMOUS="10/minute",
        LANEWAY_RATE_LIMIT_SYNC_SECONDS="0.1",
    )
    (_, one), (_, other) = started
    try:
        with httpx.Client(timeout=10) as http:

            def statuses(base: str, count: int) -> list[int]:
                return [http.get(f"{base}{API}/projects").status_code for _ in range(count)]

            assert statuses(one, 6) == [401] * 6
            time.sleep(0.5)  # a few sync intervals: the hits are in Redis
            assert statuses(other, 6) == [401] * 4 + [429] * 2
            time.sleep(0.5)
            assert statuses(one, 1) == [429]
    finally:
        for process, base in started:
            stop_server(process, base)


async def _until(
    condition: Callable[[], bool], seconds: float = 15.0, why: Callable[[], str] = str
) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out: {why()}"
        await asyncio.sleep(0.05)


async def test_limits_hold_per_process_while_redis_is_down(
    database_url: str, tmp_path: Path, redis_server: RedisServer
) -> None:
    settings = make_settings(
        database_url,
        tmp_path / "data",
        redis=RedisSettings(url=redis_server.url, prefix="down", breaker_open_seconds=1),
        rate_limit=RateLimitSettings(anonymous="6/minute", sync_seconds=0.05),
    )
    application = create_app(settings)
    async with LifespanManager(application):
        state: AppState = application.state.laneway
        link = state.redis_link
        assert link is not None
        transport = httpx.ASGITransport(app=application, client=("198.51.100.9", 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://laneway.test") as http:

            async def status() -> int:
                return (await http.get(f"{API}/projects")).status_code

            key = "down:rate:anonymous" + "a198.51.100.9"
            client = Redis.from_url(redis_server.url)
            try:
                assert [await status() for _ in range(2)] == [401, 401]
                await _until_async(lambda: _hits(client, key, 2))  # Redis knows of these two
            finally:
                await client.aclose()
            redis_server.kill()
            # still counted (the two Redis knew of, and those taken meanwhile), never a 5xx
            assert [await status() for _ in range(6)] == [401] * 4 + [429] * 2
            await _until(lambda: link.is_open)
            ready = (await http.get("/health/ready")).json()
            assert ready["status"] == "degraded"
            assert ready["checks"]["redis"]["status"] == "error"

            redis_server.start()  # the same port, empty
            windows = state.rate_limits.windows
            await _until(
                lambda: link.state == "closed" and not link.is_open,
                # what to look at if the link never tries Redis again
                why=lambda: f"link {link.state}, keys to send {sorted(windows._dirty)}",
            )
            ready = (await http.get("/health/ready")).json()
            assert ready["status"] == "ready", ready
            # the hits taken while it was down reached the new Redis
            client = Redis.from_url(redis_server.url)
            try:
                await _until_async(lambda: _hits(client, key, 4))
            finally:
                await client.aclose()


async def _hits(client: Redis, key: str, expected: int) -> bool:
    counts = await client.hgetall(key)
    return sum(int(hits) for hits in counts.values()) == expected


async def _until_async(condition: Callable[[], object], seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not await condition():  # type: ignore[misc]
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)
