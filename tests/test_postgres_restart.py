"""PostgreSQL stopped and started under a write load, on a cluster of the test's own: the
writes meanwhile get 503 with Retry-After (never a 500), Laneway recovers by itself within
5 s of the database answering, and every write it acknowledged is there afterwards."""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from deploy.local.services import PostgresCluster
from laneway.app import create_app
from laneway.config import DatabaseSettings
from laneway.models import Task
from tests.conftest import _migrate, make_settings
from tests.support import API, Api

pytestmark = [
    pytest.mark.system,
    pytest.mark.skipif(
        "postgresql" not in os.environ.get("LANEWAY_TEST_BACKENDS", "sqlite,postgresql"),
        reason="a PostgreSQL fault",
    ),
]
WRITERS, DOWN_SECONDS, RECOVERY_LIMIT = 4, 1.5, 5.0


@pytest.fixture
def own_postgres() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster()
    cluster.create()
    try:
        yield cluster
    finally:
        cluster.destroy()


async def test_a_restart_costs_503s_then_recovers_and_loses_no_acknowledged_write(
    own_postgres: PostgresCluster, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = own_postgres.url
    await _migrate(url)
    database = DatabaseSettings(
        url=url, pool_size=4, max_overflow=2, pool_timeout=2, connect_timeout=1
    )
    app = create_app(make_settings(url, tmp_path, database=database))
    acknowledged: list[int] = []
    statuses: Counter[int] = Counter()
    wrong: list[tuple[int, str]] = []
    stop = asyncio.Event()
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            api = Api(client)
            owner = await api.user()
            pid = (await api.project(owner))["id"]

            async def writer(number: int) -> None:
                serial = 0
                while not stop.is_set():
                    response = await client.post(
                        f"{API}/projects/{pid}/tasks",
                        json={"title": f"w{number}-{serial}"},
                        headers=owner.headers,
                    )
                    statuses[response.status_code] += 1
                    if response.status_code == 201:
                        acknowledged.append(response.json()["id"])
                    elif response.status_code != 503 or "retry-after" not in response.headers:
                        wrong.append((response.status_code, response.text))
                    serial += 1
                    await asyncio.sleep(0.02)

            writers = [asyncio.create_task(writer(n)) for n in range(WRITERS)]
            await asyncio.sleep(1)
            capsys.readouterr()
            outage_started = time.monotonic()
            await asyncio.to_thread(own_postgres.stop)
            await asyncio.sleep(DOWN_SECONDS)
            before_outage_end = len(acknowledged)
            await asyncio.to_thread(own_postgres.start)
            answering = time.monotonic()
            async with asyncio.timeout(RECOVERY_LIMIT + 5):
                while len(acknowledged) <= before_outage_end:  # noqa: ASYNC110 - polling a list
                    await asyncio.sleep(0.05)
            recovered_in = time.monotonic() - answering
            outage_seconds = time.monotonic() - outage_started
            await asyncio.sleep(0.5)
            stop.set()
            await asyncio.gather(*writers)

    assert wrong == [], wrong[:3]  # never a 500, every 503 says when to retry
    assert statuses[503] > 0, statuses  # the outage was seen
    assert recovered_in <= RECOVERY_LIMIT, recovered_in
    # one line a second stands for all the failures, not one line per failed request
    said = [line for line in capsys.readouterr().err.splitlines() if "database unavailable" in line]
    assert said, "the outage was never logged"
    assert len(said) <= outage_seconds + 2, (len(said), statuses[503])
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            stored = set(
                (await conn.execute(select(Task.id).where(Task.project_id == pid))).scalars()
            )
    finally:
        await engine.dispose()
    assert set(acknowledged) <= stored  # no acknowledged write lost
    assert len(acknowledged) == len(set(acknowledged))
