"""Rate limits by tier on the API, in one process (both backends)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from laneway.app import create_app
from laneway.auth import service as auth_service
from laneway.config import HttpSettings, RateLimitSettings
from laneway.state import AppState
from tests.conftest import make_settings
from tests.support import API, Api, User, assert_problem

LIMITS = RateLimitSettings(
    anonymous="8/minute", session="12/minute", token="6/minute", admin="20/minute"
)


async def _client(
    database_url: str, tmp_path: Path, **overrides: object
) -> AsyncIterator[tuple[httpx.AsyncClient, AppState]]:
    settings = make_settings(database_url, tmp_path / "data", rate_limit=LIMITS, **overrides)
    application = create_app(settings)
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application, client=("198.51.100.7", 4000))
        async with httpx.AsyncClient(transport=transport, base_url="http://laneway.test") as http:
            yield http, application.state.laneway


@pytest.fixture
async def limited(
    database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, AppState]]:
    async for pair in _client(database_url, tmp_path):
        yield pair


def _policy(response: httpx.Response) -> tuple[str, int, int]:
    name, quota, window = re.fullmatch(
        r'"(\w+)";q=(\d+);w=(\d+)', response.headers["RateLimit-Policy"]
    ).groups()  # type: ignore[union-attr]
    return name, int(quota), int(window)


def _remaining(response: httpx.Response) -> int:
    match = re.fullmatch(r'"\w+";r=(\d+);t=(\d+)', response.headers["RateLimit"])
    assert match is not None, response.headers["RateLimit"]
    # every test here runs within seconds of its window's first hit: about a minute is left
    assert 50 <= int(match[2]) <= 60, response.headers["RateLimit"]
    return int(match[1])


async def test_anonymous_requests_count_by_address_and_get_429(
    limited: tuple[httpx.AsyncClient, AppState],
) -> None:
    client, state = limited
    seen = []
    for _ in range(8):
        response = await client.get(f"{API}/projects")  # 401, still counted
        assert response.status_code == 401
        assert _policy(response) == ("anonymous", 8, 60)
        seen.append(_remaining(response))
    assert seen == [7, 6, 5, 4, 3, 2, 1, 0]
    refused = await client.post(f"{API}/auth/login", json={"email": "a@b.c", "password": "x"})
    problem = assert_problem(refused, 429)
    assert problem["type"] == "urn:laneway:problem:rate-limited"
    # the oldest of the 8 counted hits leaves the window about a minute after it came
    assert 50 <= int(refused.headers["Retry-After"]) <= 60
    assert _remaining(refused) == 0
    assert refused.headers["X-Content-Type-Options"] == "nosniff"  # a whole answer
    assert state.rate_limits.rejected["anonymous"] == 1
    # probes, the board's page and its assets are not the API: never limited
    assert (await client.get("/health/live")).status_code == 200
    assert (await client.get("/")).status_code == 200
    # another address has its own allowance
    other = httpx.ASGITransport(app=client._transport.app, client=("198.51.100.8", 1))  # type: ignore[attr-defined]
    async with httpx.AsyncClient(transport=other, base_url="http://laneway.test") as second:
        assert _remaining(await second.get(f"{API}/projects")) == 7


async def _signed_up(client: httpx.AsyncClient) -> User:
    api = Api(client)
    return await api.user()  # register + login: two anonymous requests


async def test_each_tier_has_its_allowance(
    limited: tuple[httpx.AsyncClient, AppState],
) -> None:
    client, state = limited
    user = await _signed_up(client)
    session = await client.get(f"{API}/projects", headers=user.headers)
    assert _policy(session) == ("session", 12, 60)
    assert _remaining(session) == 11
    made = await client.post(
        f"{API}/me/tokens", headers=user.headers, json={"name": "ci", "scope": "read"}
    )
    assert made.status_code == 201, made.text
    personal = {"Authorization": f"Bearer {made.json()['token']}"}
    first = await client.get(f"{API}/projects", headers=personal)
    assert _policy(first) == ("token", 6, 60)
    assert _remaining(first) == 5  # its own allowance: the session's is not touched
    for _ in range(5):
        assert (await client.get(f"{API}/projects", headers=personal)).status_code == 200
    refused = await client.get(f"{API}/projects", headers=personal)
    assert_problem(refused, 429)
    assert (await client.get(f"{API}/projects", headers=user.headers)).status_code == 200

    async with state.database.transaction() as session_:
        await auth_service.set_admin(session_, email=user.email, admin=True)
    state.caches.tokens.clear()  # as the cache's age limit would, a second later
    admin = await client.get(f"{API}/projects", headers=personal)
    assert admin.status_code == 200
    assert _policy(admin) == ("admin", 20, 60)
    assert state.rate_limits.rejected == {"token": 1}


async def test_a_token_not_yet_cached_counts_against_its_account(
    limited: tuple[httpx.AsyncClient, AppState],
) -> None:
    client, state = limited
    user = await _signed_up(client)
    for expected in (11, 10, 9):
        state.caches.tokens.clear()  # every request finds the token only in the database
        response = await client.get(f"{API}/projects", headers=user.headers)
        assert response.status_code == 200
        assert _policy(response)[0] == "session"
        assert _remaining(response) == expected


async def test_made_up_tokens_count_against_the_address(
    limited: tuple[httpx.AsyncClient, AppState],
) -> None:
    client, _state = limited
    for attempt in range(7):
        forged = {"Authorization": f"Bearer lws_forged{attempt}"}
        response = await client.get(f"{API}/projects", headers=forged)
        assert response.status_code == 401
        assert _remaining(response) == 7 - attempt
    # a route that never authenticates counts it against the address too
    login = await client.post(
        f"{API}/auth/login",
        headers={"Authorization": "Bearer lws_forged"},
        json={"email": "nobody@example.com", "password": "wrong"},
    )
    assert login.status_code == 401
    assert _remaining(login) == 0
    refused = await client.get(f"{API}/projects", headers={"Authorization": "Bearer lws_x"})
    assert_problem(refused, 429)


async def test_forwarded_addresses_count_only_from_trusted_proxies(
    database_url: str, tmp_path: Path
) -> None:
    async def remaining_for(client: httpx.AsyncClient, forwarded: str) -> int:
        response = await client.get(f"{API}/projects", headers={"X-Forwarded-For": forwarded})
        return _remaining(response)

    async for client, _state in _client(database_url, tmp_path):
        # not configured: the header is anyone's to write, so it is ignored
        assert [await remaining_for(client, f"203.0.113.{n}") for n in (1, 2, 3)] == [7, 6, 5]
    trusted = HttpSettings(LANEWAY_HTTP_TRUSTED_PROXIES="198.51.100.0/24")
    async for client, _state in _client(database_url, tmp_path / "2", http=trusted):
        assert [await remaining_for(client, f"203.0.113.{n}") for n in (1, 2, 1)] == [7, 7, 6]
        # a /64 is one client: hopping through its addresses gains nothing
        assert await remaining_for(client, "2001:db8::1") == 7
        assert await remaining_for(client, "2001:db8::ffff") == 6
