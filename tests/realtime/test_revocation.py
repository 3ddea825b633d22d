"""Sockets end with their credentials on every replica: a logout on one replica closes the same
token's socket on another, and a token that expires closes its sockets, each within 2 s, and
nothing reaches the socket after that."""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

import orjson
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from laneway.realtime.client import live_url
from laneway.realtime.hub import REVOKED
from tests.support import Api, User

pytestmark = [
    pytest.mark.system,
    pytest.mark.skipif(
        "postgresql" not in os.environ.get("LANEWAY_TEST_BACKENDS", "sqlite,postgresql"),
        reason="replicas share PostgreSQL",
    ),
]


def _open(base: str, pid: int, user: User) -> Any:
    return connect(live_url(base, pid, None), additional_headers=user.headers)


async def _until_closed(socket: ClientConnection, within: float) -> tuple[int, list[str], float]:
    """(close code, event types received, when it closed) — failing if it stays open."""
    received: list[str] = []
    async with asyncio.timeout(within):
        try:
            while True:
                message = orjson.loads(await socket.recv())
                if "seq" in message:
                    received.append(message["type"])
        except ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd else 1006
            return code, received, time.monotonic()


async def test_logout_on_one_replica_closes_the_socket_on_the_other(
    replicas: list[str], apis: list[Api]
) -> None:
    owner, writer = await apis[0].user(), await apis[0].user()
    pid = (await apis[0].project(owner))["id"]
    await apis[0].add_member(pid, owner, writer, "member")
    async with _open(replicas[1], pid, owner) as socket:
        await asyncio.wait_for(socket.recv(), 5)  # the presence list: the viewer is in
        assert (await apis[0].request("POST", "/auth/logout", owner)).status_code == 204
        logged_out = time.monotonic()
        await apis[0].task(writer, pid, title="After the logout")
        await apis[1].task(writer, pid, title="After the logout, on the viewer's replica")
        code, received, closed_at = await _until_closed(socket, within=5)
    assert code == REVOKED
    assert closed_at - logged_out <= 2
    assert received == []  # nothing written after the logout reached the socket


async def test_a_socket_closes_when_its_token_expires(
    replicas: list[str], apis: list[Api], postgres_url: str
) -> None:
    owner = await apis[0].user()
    pid = (await apis[0].project(owner))["id"]
    engine = create_async_engine(postgres_url)
    try:
        async with _open(replicas[1], pid, owner) as socket:
            await asyncio.wait_for(socket.recv(), 5)
            async with engine.begin() as conn:
                await conn.execute(
                    text(
                        "UPDATE api_tokens SET expires_at = now() + interval '1 second'"
                        " WHERE user_id = :user"
                    ),
                    {"user": owner.id},
                )
            expires_at = time.monotonic() + 1
            code, _received, closed_at = await _until_closed(socket, within=6)
    finally:
        await engine.dispose()
    assert code == REVOKED
    assert closed_at - expires_at <= 2
