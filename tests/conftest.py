"""Every API test runs against the embedded SQLite default and the real PostgreSQL.

The schema is built once per run by the migrations (so they are always tested): PostgreSQL gets
a fresh database for the run and every table is emptied before each test; SQLite gets a
migrated template file copied per test. Tests commit for real, like production requests do.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import make_url, text
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
from tests.realtime.conftest import start_servers, stop_server
from tests.shared_routes import share_route_analysis
from tests.support import Api, StatementCounter

POSTGRES_ADMIN_URL = os.environ.get(
    "LANEWAY_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
BACKENDS = os.environ.get("LANEWAY_TEST_BACKENDS", "sqlite,postgresql").split(",")
T = TypeVar("T")


def pytest_configure(config: pytest.Config) -> None:
    share_route_analysis()


# Fixtures that start processes of their own: a test that uses one is in the system tier.
_PROCESS_FIXTURES = {"live_server", "small_queue_server", "replicas", "cluster"}
_PROCESS_FIXTURES |= {"server", "demo_server", "browser"}  # tests/web


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    unmarked = [
        item.nodeid
        for item in items
        if _PROCESS_FIXTURES & set(getattr(item, "fixturenames", ()))
        and item.get_closest_marker("system") is None
    ]
    if unmarked:
        raise pytest.UsageError(f"start processes but are not marked system: {unmarked}")
    # The longest tests first, so xdist hands them out while the short ones can still fill in
    # around them: started last, one would keep its worker busy after the others finished.
    items.sort(key=lambda item: not item.nodeid.startswith(_LONGEST))


# 10-45 s each (the fuzzer's phases) and 5-13 s (every migration down and up, a downgrade that
# deletes data, a 2,000-task project), against under a second for most tests
_LONGEST = (
    "tests/test_fuzz.py::",
    "tests/test_migrations.py::",
    "tests/test_cli_migrate.py::",
    "tests/transfer/test_scale.py::",
)


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


# One thread for all of them, kept for the run: a thread that ends leaves its greenlet state
# (SQLAlchemy's asyncio runs in greenlets) for the main thread to tear down, and a worker that
# had made a thread per call was once seen stuck in that teardown for minutes.
_AWAY_FROM_THE_LOOP = ThreadPoolExecutor(1, thread_name_prefix="fixture-loop")


def in_own_thread(coroutine: Coroutine[Any, Any, T]) -> T:
    """asyncio.run on a thread of its own: it works even where this thread runs a loop (the
    browser tests' Playwright does)."""
    return _AWAY_FROM_THE_LOOP.submit(asyncio.run, coroutine).result()


async def admin(statement: str) -> None:
    """One statement as PostgreSQL's admin, outside a transaction (CREATE/DROP DATABASE)."""
    engine = create_async_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


# DROP DATABASE first makes PostgreSQL write a checkpoint of the whole cluster: seconds on a
# busy machine. A process of its own waits for it, so neither a test nor the run does.
_DROP_DATABASE = """
import asyncio, sys
import asyncpg

async def drop(dsn, name):
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()

asyncio.run(drop(*sys.argv[1:]))
"""


def drop_database_behind(name: str) -> None:
    """Drops that PostgreSQL database in the background (a shell starts the dropping process
    and leaves it behind: it outlives the test, and the run if need be)."""
    dsn = make_url(POSTGRES_ADMIN_URL).set(drivername="postgresql")
    dropper = [sys.executable, "-c", _DROP_DATABASE, dsn.render_as_string(hide_password=False)]
    subprocess.run(  # noqa: S603 - this interpreter, our own script
        ["/bin/sh", "-c", '"$@" </dev/null >/dev/null 2>&1 &', "sh", *dropper, name],
        check=True,
        start_new_session=True,
    )


def new_database(prefix: str) -> tuple[str, str]:
    """A new, empty PostgreSQL database: its name and URL. It is thrown away after the test or
    the run, so a commit need not wait for the disk (a crash of PostgreSQL itself would lose
    the last ones, and no test crashes the shared server)."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    in_own_thread(admin(f'CREATE DATABASE "{name}"'))
    in_own_thread(admin(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    return name, POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    name, url = new_database("laneway_test")
    in_own_thread(_migrate(url))
    yield url
    drop_database_behind(name)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "laneway.db"
    in_own_thread(_migrate(f"sqlite+aiosqlite:///{path}"))
    return path


# TRUNCATE makes new files for every table and its indexes (half a second for the schema);
# a test leaves rows in a few tables, and deleting those, children first, takes milliseconds.
# Every sequence starts again at 1, as after TRUNCATE ... RESTART IDENTITY.
_NAMES = ", ".join(f"'{table.name}'" for table in reversed(Base.metadata.sorted_tables))
_EMPTY_POSTGRES = f"""
DO $$
DECLARE
    name text;
    sequence regclass;
    filled boolean;
BEGIN
    FOREACH name IN ARRAY ARRAY[{_NAMES}] LOOP
        EXECUTE format('SELECT EXISTS (SELECT FROM %I)', name) INTO filled;
        IF filled THEN
            EXECUTE format('DELETE FROM %I', name);
        END IF;
    END LOOP;
    FOR sequence IN SELECT oid FROM pg_class WHERE relkind = 'S' LOOP
        PERFORM setval(sequence, 1, false);
    END LOOP;
END $$
"""  # noqa: S608 - the names are our own tables


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "laneway.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    truncate_postgres(url)
    return url


@pytest.fixture(scope="module", params=BACKENDS)
def module_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """One database for a module's tests, which share a server and make their own users and
    projects. On PostgreSQL it is this process's test database, emptied first: while the
    module's fixture lives, only that module's tests run in this process."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("module") / "laneway.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    truncate_postgres(url)
    return url


def truncate_postgres(url: str) -> None:
    """Every table emptied and every sequence restarted."""

    async def empty() -> None:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.execute(text(_EMPTY_POSTGRES))
        finally:
            await engine.dispose()

    in_own_thread(empty())


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
    # parametrized with settings of the replicas, e.g. {"LANEWAY_LIVE_RELAY_INTERVAL_SECONDS": "1"}
    overrides: dict[str, str] = getattr(request, "param", {})
    settings = {"LANEWAY_LIVE_RELAY_INTERVAL_SECONDS": "30", **overrides}
    started = start_servers(2, database_url, LANEWAY_REDIS_URL=redis_server.url, **settings)
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
