"""Browser tickets for the live socket: random, one use, bound to a token and a project, and
never written to the server's log."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import time
from pathlib import Path

import httpx
import orjson
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from laneway.config import PUBLISHED_SECRET_KEY
from laneway.realtime.client import live_url
from tests.realtime.conftest import start_server, stop_server
from tests.support import Api, User

pytestmark = pytest.mark.system


def _old_style_ticket(user_id: int, token_id: int, project_id: int) -> str:
    """What earlier versions accepted: an HMAC under a key derived from the published secret."""
    key = hashlib.sha256(b"laneway-live-ticket:" + PUBLISHED_SECRET_KEY.encode()).digest()
    body = f"{user_id}.{token_id}.{project_id}.{int(time.time()) + 60}"
    signature = hmac.new(key, body.encode(), "sha256").hexdigest()[:32]
    return base64.urlsafe_b64encode(f"{body}.{signature}".encode()).decode().rstrip("=")


async def _ticket(api: Api, user: User, project_id: int) -> str:
    response = await api.request("POST", f"/projects/{project_id}/live/ticket", user)
    assert response.status_code == 200, response.text
    ticket: str = response.json()["ticket"]
    return ticket


async def _refused(base: str, project_id: int, ticket: str) -> int:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(f"{live_url(base, project_id, 0)}&ticket={ticket}"):
            pass
    return refused.value.response.status_code


async def _opens(base: str, project_id: int, ticket: str) -> None:
    async with connect(f"{live_url(base, project_id, 0)}&ticket={ticket}") as socket:
        first = orjson.loads(await asyncio.wait_for(socket.recv(), 5))
        assert first["type"] == "project.created"


async def test_forged_reused_and_misdirected_tickets_are_refused(
    live_server: str, live_api: Api
) -> None:
    owner, other = await live_api.user(), await live_api.user()
    pid = (await live_api.project(owner))["id"]
    other_pid = (await live_api.project(other, name="Other"))["id"]
    owners_token_id = (await live_api.request("GET", "/me/tokens", owner)).json()[0]["id"]

    # signed with the key every earlier installation shared, for the owner's token
    assert (
        await _refused(live_server, pid, _old_style_ticket(owner.id, owners_token_id, pid)) == 401
    )
    # naming the owner's token but made up by another user
    forged = _old_style_ticket(other.id, owners_token_id, pid)
    assert await _refused(live_server, pid, forged) == 401
    assert await _refused(live_server, pid, "lwt_" + "A" * 43) == 401

    ticket = await _ticket(live_api, owner, pid)
    assert await _refused(live_server, other_pid, ticket) == 401  # for another project
    await _opens(live_server, pid, ticket)  # still unused: the wrong project did not spend it
    assert await _refused(live_server, pid, ticket) == 401  # used once already

    # revoking the token ends the tickets issued under it
    pending = await _ticket(live_api, owner, pid)
    assert (await live_api.request("POST", "/auth/logout", owner)).status_code == 204
    assert await _refused(live_server, pid, pending) == 401


async def test_the_server_log_holds_no_ticket_and_no_token(
    database_url: str, tmp_path: Path
) -> None:
    process, base = start_server(
        database_url, LANEWAY_DATA_DIR=str(tmp_path), LANEWAY_LOG_LEVEL="INFO"
    )
    secrets: list[str] = []
    try:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            api = Api(http)
            owner = await api.user()
            secrets.append(owner.token)
            pid = (await api.project(owner))["id"]
            ticket = await _ticket(api, owner, pid)
            secrets.append(ticket)
            await _opens(base, pid, ticket)
            assert await _refused(base, pid, ticket) == 401
            made = await api.request("POST", "/me/tokens", owner, json={"name": "ci"})
            secrets.append(made.json()["token"])
    finally:
        log = stop_server(process, base)
    assert f"/api/v1/projects/{pid}/live" in log  # the socket was logged, without its query
    for secret in secrets:
        assert secret not in log
        assert secret[:20] not in log


async def test_ids_the_database_cannot_hold_are_refused_on_the_socket(
    live_server: str, live_api: Api
) -> None:
    owner = await live_api.user()
    huge = 10**23
    for url in (live_url(live_server, huge, None), live_url(live_server, 1, huge)):
        with pytest.raises(InvalidStatus) as refused:
            async with connect(url, additional_headers=owner.headers):
                pass
        assert refused.value.response.status_code == 403  # refused before the handshake
    pid = (await live_api.project(owner))["id"]
    await _opens_with(live_server, pid, owner)  # the server is fine afterwards


async def _opens_with(base: str, project_id: int, user: User) -> None:
    async with connect(live_url(base, project_id, 0), additional_headers=user.headers) as socket:
        assert orjson.loads(await asyncio.wait_for(socket.recv(), 5))["type"] == "project.created"


async def test_a_read_token_follows_the_live_stream_with_a_ticket(
    live_server: str, live_api: Api
) -> None:
    """Read tokens allow live streams (README): in a browser, that takes a ticket."""
    owner = await live_api.user()
    pid = (await live_api.project(owner))["id"]
    made = await live_api.request("POST", "/me/tokens", owner, json={"name": "tv", "scope": "read"})
    reader = User(id=owner.id, email=owner.email, token=made.json()["token"])
    await _opens(live_server, pid, await _ticket(live_api, reader, pid))
