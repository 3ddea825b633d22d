"""Sign-in and sign-up limits: an attacker is slowed, the owner is never locked out."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from deploy.local.services import RedisServer
from laneway.app import create_app
from laneway.auth import service as auth_service
from laneway.config import AuthSettings, Registration
from laneway.state import AppState
from tests.conftest import make_settings
from tests.realtime.conftest import start_server, stop_server
from tests.support import API, PASSWORD, assert_problem

Client = Callable[[str], httpx.AsyncClient]


def _strict_settings(database_url: str, tmp_path: Path, **overrides: object) -> object:
    auth = AuthSettings(
        argon2_time_cost=1,
        argon2_memory_kib=8,
        argon2_parallelism=1,
        login_per_account="3/minute",
        login_per_ip="5/minute",
        register_per_ip="4/minute",
    )
    return make_settings(database_url, tmp_path, auth=auth, **overrides)


@pytest.fixture
async def strict_app(database_url: str, tmp_path: Path) -> AsyncIterator[FastAPI]:
    app = create_app(_strict_settings(database_url, tmp_path))  # type: ignore[arg-type]
    async with LifespanManager(app):
        yield app


@pytest.fixture
async def from_address(strict_app: FastAPI) -> AsyncIterator[Client]:
    """A client per source address, as the server sees it."""
    clients: list[httpx.AsyncClient] = []

    def make(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=strict_app, client=(address, 40000))
        clients.append(httpx.AsyncClient(transport=transport, base_url="http://t"))
        return clients[-1]

    yield make
    for client in clients:
        await client.aclose()


async def _register(client: httpx.AsyncClient, email: str, **extra: str) -> httpx.Response:
    body = {"email": email, "password": PASSWORD, "name": "N", **extra}
    return await client.post(f"{API}/auth/register", json=body)


async def _login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post(f"{API}/auth/login", json={"email": email, "password": password})


async def test_the_owner_gets_in_while_an_attacker_is_refused(
    from_address: Client, caplog: pytest.LogCaptureFixture
) -> None:
    owner, attacker = from_address("198.51.100.7"), from_address("203.0.113.66")
    assert (await _register(owner, "owner@example.com")).status_code == 201
    caplog.set_level(logging.WARNING, logger="laneway.auth")
    for _ in range(3):
        assert (await _login(attacker, "owner@example.com", "guess-1234")).status_code == 401
    # the attacker is slowed down, even with the right password from their address
    limited = await _login(attacker, "OWNER@example.com", PASSWORD)
    assert_problem(limited, 429)
    assert int(limited.headers["retry-after"]) >= 1
    # the owner, from their own address, is not locked out; successes never count
    for _ in range(5):
        assert (await _login(owner, "owner@example.com", PASSWORD)).status_code == 200
    logged = [r for r in caplog.records if "login failed" in str(r.msg)]
    assert len(logged) == 3
    assert all("203.0.113.66" in str(r.msg) for r in logged)


async def test_failed_logins_are_limited_per_address(from_address: Client) -> None:
    client = from_address("192.0.2.10")
    statuses = [
        (await _login(client, f"u{i}@example.com", "wrong-password")).status_code for i in range(6)
    ]
    assert statuses == [401] * 5 + [429]


async def test_sign_ups_are_limited_per_address(from_address: Client) -> None:
    client = from_address("192.0.2.20")
    statuses = [(await _register(client, f"n{i}@example.com")).status_code for i in range(5)]
    assert statuses == [201] * 4 + [429]
    assert (await _register(from_address("192.0.2.21"), "other@example.com")).status_code == 201


async def test_failed_logins_count_an_ipv6_address_by_its_64(from_address: Client) -> None:
    """Rotating through one /64 buys no more attempts (the anonymous API tier counts alike)."""
    statuses = []
    for i in range(6):
        client = from_address(f"2001:db8:1:2::{i + 1:x}")
        statuses.append((await _login(client, f"u{i}@example.com", "wrong-1234")).status_code)
    assert statuses == [401] * 5 + [429]
    # the same account from one /64: 3 per (account, address) whichever address of it
    others = [from_address(f"2001:db8:9:9:{i:x}::1") for i in range(4)]
    same = [(await _login(c, "x@example.com", "wrong-1234")).status_code for c in others]
    assert same == [401] * 3 + [429]
    elsewhere = from_address("2001:db8:1:3::1")  # another /64: another subscriber
    assert (await _login(elsewhere, "x@example.com", "wrong-1234")).status_code == 401


async def test_sign_ups_count_an_ipv6_address_by_its_64_and_mapped_ipv4_as_ipv4(
    from_address: Client,
) -> None:
    statuses = [
        (await _register(from_address(f"2001:db8:5:6:{i:x}::9"), f"v{i}@example.com")).status_code
        for i in range(5)
    ]
    assert statuses == [201] * 4 + [429]
    assert (await _register(from_address("2001:db8:5:7::9"), "w@example.com")).status_code == 201
    for i in range(4):
        assert (await _register(from_address("192.0.2.30"), f"m{i}@example.com")).status_code == 201
    mapped = from_address("::ffff:192.0.2.30")  # the same IPv4 address, as IPv6 writes it
    assert_problem(await _register(mapped, "m4@example.com"), 429)


@pytest.fixture
async def mode_app(
    request: pytest.FixtureRequest, database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, AppState]]:
    settings = make_settings(database_url, tmp_path, registration=request.param)
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield client, app.state.laneway


@pytest.mark.parametrize("mode_app", [Registration.closed], indirect=True)
async def test_registration_can_be_closed(mode_app: tuple[httpx.AsyncClient, AppState]) -> None:
    client, state = mode_app
    assert_problem(await _register(client, "n@example.com"), 403)
    # an operator's invitation changes nothing while registration is closed
    async with state.database.transaction() as session:
        code = await auth_service.invite(
            session, email="n@example.com", invited_by=None, valid_for=timedelta(days=1)
        )
    assert_problem(await _register(client, "n@example.com", invitation=code), 403)


@pytest.mark.parametrize("mode_app", [Registration.invite], indirect=True)
async def test_invite_only_registration(mode_app: tuple[httpx.AsyncClient, AppState]) -> None:
    client, state = mode_app
    await auth_service.register(
        state.database, state.passwords, email="lead@example.com", password=PASSWORD, name="Lead"
    )
    assert_problem(await _register(client, "new@example.com"), 403)
    assert_problem(await _register(client, "new@example.com", invitation="lwi_forged"), 403)
    lead = (await _login(client, "lead@example.com", PASSWORD)).json()["token"]
    invited = await client.post(
        f"{API}/invitations",
        json={"email": "New@example.com"},
        headers={"Authorization": f"Bearer {lead}"},
    )
    assert invited.status_code == 201, invited.text
    code = invited.json()["code"]
    # only for the invited address, and only once
    assert_problem(await _register(client, "other@example.com", invitation=code), 403)
    assert (await _register(client, "new@example.com", invitation=code)).status_code == 201
    assert_problem(await _register(client, "new2@example.com", invitation=code), 403)
    assert (await _login(client, "new@example.com", PASSWORD)).status_code == 200


@pytest.mark.system
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_login_limits_hold_across_workers(
    database_url: str, tmp_path: Path, redis_server: RedisServer
) -> None:
    process, base = start_server(
        database_url,
        workers=2,
        LANEWAY_DATA_DIR=str(tmp_path),
        LANEWAY_REDIS_URL=redis_server.url,
        LANEWAY_AUTH_LOGIN_PER_IP="5/minute",
    )
    try:
        # a new connection per attempt, so the kernel spreads them over both workers
        with httpx.Client(base_url=base, limits=httpx.Limits(max_keepalive_connections=0)) as http:
            statuses = []
            for i in range(12):
                response = http.post(
                    f"{API}/auth/login", json={"email": f"u{i}@example.com", "password": "wrong!!"}
                )
                statuses.append(response.status_code)
    finally:
        stop_server(process, base)
    assert statuses == [401] * 5 + [429] * 7
