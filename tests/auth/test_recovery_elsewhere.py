"""An operator's `laneway reset-password` runs in a process of its own: a serving replica that
holds the account's personal token in its cache, and a live socket opened with it, must both
let go at once (through Redis), not when the cached copy ages out or the guard next looks."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
from typer.testing import CliRunner
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from deploy.local.services import RedisServer
from laneway.cli import app
from laneway.realtime.client import live_url
from laneway.realtime.hub import REVOKED
from tests.realtime.conftest import CHEAP_HASHING, start_server, stop_server
from tests.support import Api, User

pytestmark = pytest.mark.system

# far longer than the test may take: only word through Redis can end the token in time
SLOW_FALLBACKS = {"LANEWAY_CACHE_SECONDS": "60", "LANEWAY_LIVE_CREDENTIAL_CHECK_SECONDS": "600"}
WITHIN = 15.0  # seconds a socket may take to close before the test gives up on it


@pytest.fixture
def replica(
    database_url: str, tmp_path: Path, redis_server: RedisServer
) -> Iterator[tuple[str, dict[str, str]]]:
    env = {
        "LANEWAY_DATABASE_URL": database_url,
        "LANEWAY_DATA_DIR": str(tmp_path),
        "LANEWAY_REDIS_URL": redis_server.url,
        **SLOW_FALLBACKS,
    }
    process, base = start_server(database_url, **env)
    try:
        yield base, env
    finally:
        stop_server(process, base)


async def _first_close(socket: ClientConnection) -> int:
    async with asyncio.timeout(WITHIN):
        try:
            while True:
                await socket.recv()
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else 1006


async def test_a_reset_from_the_cli_ends_a_replicas_cached_token_and_its_socket(
    replica: tuple[str, dict[str, str]],
) -> None:
    base, env = replica
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        api = Api(http)
        owner = await api.user()
        pid = (await api.project(owner))["id"]
        made = await api.request("POST", "/me/tokens", owner, json={"name": "minted"})
        minted = User(id=owner.id, email=owner.email, token=made.json()["token"])
        for _ in range(2):  # the replica caches the token
            assert (await api.request("GET", "/me", minted)).status_code == 200
        async with connect(live_url(base, pid, None), additional_headers=minted.headers) as socket:
            first = orjson.loads(await asyncio.wait_for(socket.recv(), 10))
            assert first["type"] == "presence"  # the viewer is in
            reset = await asyncio.to_thread(
                CliRunner().invoke,
                app,
                ["reset-password", "--email", owner.email, "--password", "taken back"],
                env={**env, **CHEAP_HASHING},
            )
            assert reset.exit_code == 0, reset.output
            assert await _first_close(socket) == REVOKED
        # the socket closed when the replica heard: its cached copy went at the same moment
        assert (await api.request("GET", "/me", minted)).status_code == 401
        assert (await api.request("GET", "/me", owner)).status_code == 401
