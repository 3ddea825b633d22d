"""Every API test runs against the embedded SQLite default and the real PostgreSQL.

The schema is built once per run by the migrations (so they are always tested): PostgreSQL gets
a fresh database for the run and every table is truncated before each test; SQLite gets a
migrated template file copied per test. Tests commit for real, like production requests do.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from deploy.local.services import RedisServer
from laneway import migrations
from laneway.app import create_app
from laneway.config import (
    AuthSettings,
    CacheSettings,
    DatabaseSettings,
    HttpSettings,
    JobSettings,
    LogSettings,
    RateLimitSettings,
    Settings,
)
from laneway.models import Base
from laneway.rate_limits.tiers import TIERS
from laneway.state import AppState
from tests.realtime.conftest import start_server, stop_server
from tests.support import Api, StatementCounter

POSTGRES_ADMIN_URL = os.environ.get(
    "LANEWAY_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
BACKENDS = os.environ.get("LANEWAY_TEST_BACKENDS", "sqlite,postgresql").split(",")


def make_settings(database_url: str, data_dir: Path, **overrides: object) -> Settings:
    auth = AuthSettings(
        argon2_time_cost=1,
        argon2_memory_kib=8,
        argon2_parallelism=1,
        login_per_account="1000/minute",
        login_per_ip="1000/minute",
        register_per_ip="1000/minute",
    )
    values: dict[str, object] = {
        "data_dir": data_dir,
        "database": DatabaseSettings(url=database_url, pool_size=10, max_overflow=10),
        "auth": auth,
        "http": HttpSettings(),
        "log": LogSettings(level="WARNING"),
        # In-process tests never wait out the age limit: a change a test makes must reach the
        # caches by invalidation, so a missing invalidation fails here instead of hiding.
        "cache": CacheSettings(seconds=60),
        # no runner polling in the background: tests/webhooks drive theirs (statement counts
        # stay the requests' own)
        "jobs": JobSettings(in_process=False),
        # tests/rate_limits sets its own; elsewhere a test's burst is not what is under test
        "rate_limit": RateLimitSettings(**dict.fromkeys(TIERS, "100000/minute")),
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


async def _migrate(url: str) -> None:
    engine = create_async_engine(url)
    try:
        await migrations.upgrade(engine)
    finally:
        await engine.dispose()


def in_own_thread(coroutine: Coroutine[Any, Any, None]) -> None:
    """asyncio.run on a thread of its own: it works even where this thread runs a loop (the
    browser tests' Playwright does)."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coroutine).result()


async def admin(statement: str) -> None:
    """One statement as PostgreSQL's admin, outside a transaction (CREATE/DROP DATABASE)."""
    engine = create_async_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    name = f"laneway_test_{uuid.uuid4().hex[:10]}"

    in_own_thread(admin(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    in_own_thread(_migrate(url))
    yield url
    in_own_thread(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "laneway.db"
    in_own_thread(_migrate(f"sqlite+aiosqlite:///{path}"))
    return path


_TABLES = ", ".join(f'"{table.name}"' for table in reversed(Base.metadata.sorted_tables))


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "laneway.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    truncate_postgres(url)
    return url


def truncate_postgres(url: str) -> None:
    async def truncate() -> None:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.execute(text(f"TRUNCATE {_TABLES} RESTART IDENTITY CASCADE"))
        finally:
            await engine.dispose()

    in_own_thread(truncate())


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path / "data")


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with LifespanManager(application):
        yield application


@pytest.fixture
def state(app: FastAPI) -> AppState:
    result: AppState = app.state.laneway
    return result


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://laneway.test") as http:
        yield http


@pytest.fixture
def api(client: httpx.AsyncClient) -> Api:
    return Api(client)


@pytest.fixture
def statements(state: AppState) -> Iterator[StatementCounter]:
    with StatementCounter(state.database.engine) as counter:
        yield counter


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def replicas(request: pytest.FixtureRequest, redis_server: RedisServer) -> Iterator[list[str]]:
    database_url: str = request.getfixturevalue("postgres_url")
    truncate_postgres(database_url)
    relay = getattr(request, "param", 30.0)
    started = [
        start_server(
            database_url,
            LANEWAY_REDIS_URL=redis_server.url,
            LANEWAY_LIVE_RELAY_INTERVAL_SECONDS=str(relay),
        )
        for _ in range(2)
    ]
    try:
        yield [base for _process, base in started]
    finally:
        for process, base in started:
            stop_server(process, base)


@pytest.fixture
async def apis(replicas: list[str]) -> AsyncIterator[list[Api]]:
    """An API client per replica."""
    clients = [httpx.AsyncClient(base_url=base, timeout=30) for base in replicas]
    try:
        yield [Api(client) for client in clients]
    finally:
        for client in clients:
            await client.aclose()
