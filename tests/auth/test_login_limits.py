from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from laneway.app import create_app
from laneway.config import AuthSettings
from tests.conftest import make_settings
from tests.support import API, PASSWORD, assert_problem


@pytest.fixture
async def strict_client(database_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    auth = AuthSettings(
        argon2_time_cost=1,
        argon2_memory_kib=8,
        argon2_parallelism=1,
        login_per_account="3/minute",
        login_per_ip="5/minute",
        allow_registration=False,
    )
    app = create_app(make_settings(database_url, tmp_path, auth=auth))
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield client


async def _login(client: httpx.AsyncClient, email: str) -> httpx.Response:
    return await client.post(f"{API}/auth/login", json={"email": email, "password": PASSWORD})


async def test_login_is_limited_per_account(strict_client: httpx.AsyncClient) -> None:
    for _ in range(3):
        assert (await _login(strict_client, "victim@example.com")).status_code == 401
    limited = await _login(strict_client, "VICTIM@example.com")
    assert_problem(limited, 429)
    assert int(limited.headers["retry-after"]) >= 1
    # another account from the same address is still allowed (until the per-IP limit)
    assert (await _login(strict_client, "other@example.com")).status_code == 401


async def test_login_is_limited_per_address(strict_client: httpx.AsyncClient) -> None:
    statuses = [(await _login(strict_client, f"u{i}@example.com")).status_code for i in range(6)]
    assert statuses == [401] * 5 + [429]


async def test_registration_can_be_closed(strict_client: httpx.AsyncClient) -> None:
    response = await strict_client.post(
        f"{API}/auth/register", json={"email": "n@example.com", "password": PASSWORD, "name": "N"}
    )
    assert_problem(response, 403)
