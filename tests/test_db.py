"""The engines: what their errors may show, and how long an unanswering database may hold us."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from laneway import exception_handlers
from laneway.app import create_app
from laneway.config import DatabaseSettings
from laneway.db import create_engine
from tests.conftest import make_settings
from tests.support import API


async def test_errors_never_show_bound_values(database_url: str, tmp_path: Path) -> None:
    engine = create_engine(make_settings(database_url, tmp_path))
    try:
        async with engine.connect() as conn:
            with pytest.raises(DBAPIError) as failed:
                await conn.execute(
                    text("SELECT x FROM no_such_table WHERE x = :secret"),
                    {"secret": "hunter2-password"},
                )
    finally:
        await engine.dispose()
    assert "hunter2" not in str(failed.value)
    assert "hide_parameters" in str(failed.value)


@pytest.fixture
async def silent_database() -> AsyncIterator[int]:
    """A TCP port that accepts connections and never says a word."""
    held: list[asyncio.StreamWriter] = []

    async def accept(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_a_database_that_never_answers_fails_within_the_connect_timeout(
    silent_database: int, tmp_path: Path
) -> None:
    timeout = 0.3
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{silent_database}/test"
    settings = make_settings(url, tmp_path, database=DatabaseSettings(url=url, connect_timeout=0.3))
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            # far under asyncpg's 60 s default (a loaded machine may add a second or two)
            for path, headers in (
                ("/health/ready", {}),
                (f"{API}/me", {"Authorization": "Bearer lws_x"}),
            ):
                started = time.monotonic()
                async with asyncio.timeout(10):
                    response = await client.get(path, headers=headers)
                assert response.status_code == 503, response.text
                assert response.headers["retry-after"]
                assert time.monotonic() - started < timeout + 3, path


async def test_postgresql_ends_a_statement_past_the_timeout(
    database_url: str, tmp_path: Path
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no statement timeout; its writers wait on busy_timeout")
    settings = make_settings(
        database_url,
        tmp_path,
        database=DatabaseSettings(url=database_url, statement_timeout_ms=200),
    )
    engine = create_engine(settings)
    try:
        async with engine.connect() as conn:
            started = time.monotonic()
            with pytest.raises(DBAPIError, match="statement timeout"):
                await conn.execute(text("SELECT pg_sleep(5)"))
            assert time.monotonic() - started < 3
    finally:
        await engine.dispose()
    assert exception_handlers._is_transient(  # the request would get 503 with Retry-After
        DBAPIError(
            "SELECT pg_sleep(5)", {}, Exception("canceling statement due to statement timeout")
        )
    )
