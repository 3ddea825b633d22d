"""The local cluster for real (deploy/local/cluster.py): two `laneway serve` replicas on
PostgreSQL and Redis, a `laneway worker` and Debian's nginx in front. Everything the test does
goes through nginx, as a browser's would: live sockets spread over both replicas, each viewer
gets every event once and in order, the board counts exactly, and the worker cleans up."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from deploy.local.cluster import NGINX, Cluster
from laneway.db import Database
from laneway.models import ApiToken, LiveTicket
from laneway.realtime.client import follow
from tests.conftest import make_settings, truncate_postgres
from tests.realtime.conftest import CHEAP_HASHING
from tests.support import Api, User, ago, ahead, plant_ticket, plant_token
from tests.test_cli import _free_port

pytestmark = [
    pytest.mark.system,
    pytest.mark.skipif(
        "postgresql" not in os.environ.get("LANEWAY_TEST_BACKENDS", "sqlite,postgresql"),
        reason="replicas share PostgreSQL",
    ),
]
SHARED_REDIS = os.environ.get("LANEWAY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
TASKS, MOVES, VIEWERS = 24, 12, 6
BEFORE_TASKS = 2  # project.created, member.added


@pytest.fixture
def cluster(postgres_url: str, tmp_path: Path) -> Iterator[Cluster]:
    if not os.access(NGINX, os.X_OK):
        pytest.fail(f"nginx is missing ({NGINX}): `make nginx` installs Debian's package")
    truncate_postgres(postgres_url)
    nginx_port, *app_ports = (_free_port() for _ in range(3))
    started = Cluster(
        database_url=postgres_url,
        redis_url=SHARED_REDIS,
        directory=tmp_path / "cluster",
        port=nginx_port,
        app_ports=tuple(app_ports),
        redis_prefix=f"laneway-test-{uuid.uuid4().hex[:10]}",  # channels of its own
        worker_interval=1.0,
        env={
            **CHEAP_HASHING,
            "LANEWAY_AUTH_LOGIN_PER_IP": "1000/minute",
            "LANEWAY_AUTH_REGISTER_PER_IP": "1000/minute",
        },
    )
    try:
        started.start(timeout=60)
        yield started
    finally:
        started.stop()


@pytest.fixture
async def database(postgres_url: str, tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(make_settings(postgres_url, tmp_path))
    try:
        yield db
    finally:
        await db.dispose()


async def _watch(base: str, pid: int, token: str, into: list[dict[str, Any]], final: int) -> None:
    async for event in follow(base, pid, token, after=0):
        into.append(event)
        if event["seq"] >= final:
            return


async def _write(api: Api, owner: User, pid: int) -> None:
    """TASKS creates (five at a time), then MOVES moves to the second column, through nginx."""
    statuses = await api.statuses(owner, pid)
    created: list[dict[str, Any]] = []
    for first in range(0, TASKS, 5):
        created += await asyncio.gather(
            *(api.task(owner, pid, title=f"t{n}") for n in range(first, min(first + 5, TASKS)))
        )
    for task in created[:MOVES]:
        moved = await api.request(
            "POST",
            f"/tasks/{task['id']}/move",
            owner,
            json={"status_id": statuses[1]["id"]},
            headers={"If-Match": '"v1"'},
        )
        assert moved.status_code == 200, moved.text


async def test_a_workload_through_nginx(cluster: Cluster, database: Database) -> None:
    final = BEFORE_TASKS + TASKS + MOVES
    async with httpx.AsyncClient(base_url=cluster.url, timeout=10) as http:
        api = Api(http)
        owner = await api.user()
        pid = (await api.project(owner))["id"]

        # for the worker: a token an hour past its grace, and a ticket nobody used
        async with database.transaction(write=False) as session:
            login = await session.scalar(select(ApiToken.id).where(ApiToken.user_id == owner.id))
        assert login is not None
        expired_token = await plant_token(database, owner.id, ago(hours=2))
        expired_ticket = await plant_ticket(database, login, pid, ago(seconds=1))
        live_ticket = await plant_ticket(database, login, pid, ahead(minutes=10))

        # viewers through nginx, each a new connection: round robin spreads them; and one
        # straight to each replica
        seen: list[list[dict[str, Any]]] = [[] for _ in range(VIEWERS + len(cluster.app_urls))]
        bases = [cluster.url] * VIEWERS + cluster.app_urls
        viewers = [
            asyncio.create_task(_watch(base, pid, owner.token, into, final))
            for base, into in zip(bases, seen, strict=True)
        ]
        try:
            async with asyncio.timeout(20):  # every viewer connected: it has the first events
                while not all(len(into) >= BEFORE_TASKS for into in seen):  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
            await _write(api, owner, pid)
            async with asyncio.timeout(30):
                await asyncio.gather(*viewers)
        finally:
            for viewer in viewers:
                viewer.cancel()

        board = (await api.request("GET", f"/projects/{pid}/board", owner)).json()

        async with asyncio.timeout(15):  # the worker runs every second
            while await _exists(database, expired_token, expired_ticket):  # noqa: ASYNC110
                await asyncio.sleep(0.2)
        assert await _exists(database, None, live_ticket)

    cluster.stop()  # nginx writes a socket's access line when it closes

    # every viewer: every event exactly once, in order, the same events
    for into in seen:
        assert [event["seq"] for event in into] == list(range(1, final + 1))
        assert into == seen[0]
    assert Counter(event["type"] for event in seen[0]) == {
        "project.created": 1,
        "member.added": 1,
        "task.created": TASKS,
        "task.moved": MOVES,
    }
    # the board through nginx: exact counts, every task
    counts = [column["count"] for column in board["columns"]]
    assert counts == [TASKS - MOVES, MOVES, 0, 0, 0]
    titles = {task["title"] for column in board["columns"] for task in column["tasks"]}
    assert titles == {f"t{n}" for n in range(TASKS)}
    assert board["seq"] == final

    # nginx spread the sockets and the writes over both replicas
    replicas = {url.removeprefix("http://") for url in cluster.app_urls}
    entries = list(cluster.access_entries())
    sockets = [e for e in entries if e["request"].startswith(f"GET /api/v1/projects/{pid}/live")]
    assert len(sockets) == VIEWERS  # no viewer had to reconnect
    assert {e["status"] for e in sockets} == {101}
    assert {e["upstream_addr"] for e in sockets} == replicas
    writes = [e for e in entries if e["request"].startswith("POST /api/v1/")]
    assert {e["upstream_addr"] for e in writes} == replicas
    assert set(cluster.served_by()) == replicas

    # the worker ran every second and deleted exactly what was planted
    runs = [
        line
        for line in _json_lines(cluster.directory / "worker.log")
        if line["event"] == "housekeeping"
    ]
    assert len(runs) >= 2
    assert all(run["level"] == "info" for run in runs)
    deleted = sum((Counter(run["deleted"]) for run in runs), Counter[str]())
    assert deleted == {"tokens": 1, "live_tickets": 1}


async def _exists(database: Database, token_id: int | None, ticket_hash: str) -> bool:
    async with database.transaction(write=False) as session:
        tokens = await session.scalar(select(ApiToken.id).where(ApiToken.id == token_id))
        tickets = await session.scalar(
            select(LiveTicket.ticket_hash).where(LiveTicket.ticket_hash == ticket_hash)
        )
    return tokens is not None or tickets is not None


def _json_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]
