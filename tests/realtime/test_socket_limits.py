"""One account cannot hold unlimited live sockets, and a viewer cannot send big messages."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from laneway.realtime.client import live_url
from tests.realtime.conftest import start_server, stop_server
from tests.support import Api

pytestmark = pytest.mark.system

CAP = 3


@pytest.fixture
def capped_server(database_url: str, tmp_path: Path) -> Iterator[str]:
    process, base = start_server(
        database_url, LANEWAY_DATA_DIR=str(tmp_path), LANEWAY_LIVE_MAX_SOCKETS_PER_USER=str(CAP)
    )
    try:
        yield base
    finally:
        stop_server(process, base)


async def test_sockets_per_account_are_capped(capped_server: str) -> None:
    async with httpx.AsyncClient(base_url=capped_server, timeout=30) as http:
        api = Api(http)
        owner, other = await api.user(), await api.user()
        pid = (await api.project(owner))["id"]
        await api.add_member(pid, owner, other, "viewer")
        url = live_url(capped_server, pid, None)
        async with AsyncExitStack() as stack:
            for _ in range(CAP):
                await stack.enter_async_context(connect(url, additional_headers=owner.headers))
            with pytest.raises(InvalidStatus) as refused:
                await connect(url, additional_headers=owner.headers)
            assert refused.value.response.status_code == 429
            assert "retry-after" in refused.value.response.headers
            # the cap is per account: someone else still gets in
            async with connect(url, additional_headers=other.headers):
                pass
        # closed sockets give their places back
        async with connect(url, additional_headers=owner.headers):
            pass


async def _send_and_read_until_closed(socket: ClientConnection, message: str) -> None:
    async with asyncio.timeout(5):
        await socket.send(message)  # the server may close while this is still being written
        while True:
            await socket.recv()


async def test_a_big_client_message_ends_the_socket(capped_server: str) -> None:
    async with httpx.AsyncClient(base_url=capped_server, timeout=30) as http:
        api = Api(http)
        owner = await api.user()
        pid = (await api.project(owner))["id"]
        url = live_url(capped_server, pid, None)
        for size in (4 * 1024, 16 * 1024 * 1024):
            async with connect(url, additional_headers=owner.headers, max_size=None) as socket:
                await socket.recv()  # presence
                with pytest.raises(ConnectionClosed) as closed:
                    await _send_and_read_until_closed(socket, "x" * size)
                assert closed.value.rcvd is not None
                assert closed.value.rcvd.code == 1009
