"""A long poll ends when nobody is left to answer: its client has gone, or the server stops."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx
import pytest
from starlette.types import Message

from laneway.notifications.waiting import Waiters, unless_gone
from tests.realtime.conftest import start_server, stop_server
from tests.support import PASSWORD

pytestmark = pytest.mark.system


async def test_a_poll_whose_client_left_frees_its_waiter() -> None:
    waiters = Waiters()
    left = asyncio.Event()
    received: list[str] = []

    async def receive() -> Message:
        if not received:
            received.append("request")
            return {"type": "http.request", "body": b"", "more_body": False}
        await left.wait()
        received.append("disconnect")
        return {"type": "http.disconnect"}

    async def newest() -> int:
        return 0

    poll = asyncio.ensure_future(unless_gone(receive, waiters.wait(7, newest, 0, 30)))
    await asyncio.sleep(0.05)
    assert waiters.waiting == 1
    left.set()
    assert await poll is None
    assert waiters.waiting == 0
    assert received == ["request", "disconnect"]


async def test_a_poll_answered_first_stops_watching_its_client() -> None:
    waiters = Waiters()
    latest = 0
    calls: list[str] = []

    async def receive() -> Message:
        if not calls:
            calls.append("request")
            return {"type": "http.request", "body": b"", "more_body": False}
        try:
            await asyncio.Event().wait()  # a client that stays
        except asyncio.CancelledError:
            calls.append("cancelled")
            raise
        raise AssertionError("unreachable")

    async def newest() -> int:
        return latest

    poll = asyncio.ensure_future(unless_gone(receive, waiters.wait(7, newest, 0, 30)))
    await asyncio.sleep(0.05)
    latest = 5
    waiters.made([7])
    assert await poll == 5
    assert waiters.waiting == 0
    assert calls == ["request", "cancelled"]  # nothing is left watching the client


def test_a_stopping_server_answers_its_open_polls(database_url: str, tmp_path: Any) -> None:
    process, base = start_server(database_url, LANEWAY_DATA_DIR=str(tmp_path))
    answers: list[int] = []
    with httpx.Client(base_url=f"{base}/api/v1", timeout=60) as http:
        registered = http.post(
            "/auth/register",
            json={"email": "poll@example.com", "password": PASSWORD, "name": "Poll"},
        )
        assert registered.status_code == 201, registered.text
        login = http.post("/auth/login", json={"email": "poll@example.com", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {login.json()['token']}"}

        def poll() -> None:
            answer = http.get("/me/notifications/wait", params={"timeout": 30}, headers=headers)
            answers.append(answer.status_code)

        waiting = threading.Thread(target=poll)
        waiting.start()
        waiting.join(0.5)  # the poll is in
        assert answers == []
        log = stop_server(process, base)
        waiting.join(30)
    # answered, not cancelled by uvicorn after its graceful timeout (which would be a 500)
    assert answers == [200]
    assert "graceful shutdown exceeded" not in log, log
