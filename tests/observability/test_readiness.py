"""Readiness by dependency: the database is required, Redis only degrades the answer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from deploy.local.services import RedisServer
from laneway.app import create_app
from laneway.config import RedisSettings
from tests.conftest import make_settings
from tests.support import Api


async def test_live_and_ready_without_redis(api: Api) -> None:
    assert (await api.client.get("/health/live")).json() == {"status": "ok"}
    ready = await api.client.get("/health/ready")
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database"}  # no Redis configured, none checked
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["database"]["required"] is True


@pytest.fixture
async def with_own_redis(
    database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, RedisServer]]:
    redis = RedisServer(tmp_path)
    redis.start()
    settings = make_settings(
        database_url, tmp_path / "data", redis=RedisSettings(url=redis.url, prefix="ready")
    )
    app = create_app(settings)
    try:
        async with LifespanManager(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                yield client, redis
    finally:
        redis.kill()


async def _status(client: httpx.AsyncClient) -> tuple[int, dict[str, object]]:
    response = await client.get("/health/ready")
    body: dict[str, object] = response.json()
    return response.status_code, body


async def test_degraded_while_redis_is_down_then_ready(
    with_own_redis: tuple[httpx.AsyncClient, RedisServer],
) -> None:
    client, redis = with_own_redis
    code, body = await _status(client)
    assert (code, body["status"]) == (200, "ready"), body

    redis.kill()
    code, body = await _status(client)
    # still serving: 200 keeps it in the load balancer, the body says what is missing
    assert (code, body["status"]) == (200, "degraded"), body
    checks = body["checks"]
    assert isinstance(checks, dict)
    assert checks["redis"] == {
        "status": "error",
        "required": False,
        "latency_ms": None,
        "error": "unreachable",
    }
    assert checks["database"]["status"] == "ok"

    redis.start()  # the same port again
    async with asyncio.timeout(10):
        while (await _status(client))[1]["status"] != "ready":  # noqa: ASYNC110 - polling HTTP
            await asyncio.sleep(0.1)


async def test_a_redis_down_at_start_is_said_and_degrades(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nothing_listens = "redis://127.0.0.1:1/0"
    settings = make_settings(
        database_url, tmp_path, redis=RedisSettings(url=nothing_listens, prefix="absent")
    )
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            code, body = await _status(client)
            assert (code, body["status"]) == (200, "degraded")
            user = await Api(client).user()  # serving all the same
            assert (await client.get("/api/v1/me", headers=user.headers)).status_code == 200
            logged = ""
            async with asyncio.timeout(5):
                while "redis is configured" not in logged:
                    await asyncio.sleep(0.1)
                    logged += capsys.readouterr().err
            await asyncio.sleep(0.5)  # retries meanwhile do not say it again
    logged += capsys.readouterr().err
    warnings = [line for line in logged.splitlines() if "redis is configured" in line]
    assert len(warnings) == 1, logged
