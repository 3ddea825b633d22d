"""A real `laneway worker` process killed with SIGKILL while its request waits at the receiver
loses nothing (both backends): the delivery stays leased to the dead worker until the lease
runs out, then a second worker sends it, and the log shows one delivery, two attempts."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web
from sqlalchemy import select

from laneway.models import DeliveryState, WebhookDelivery
from laneway.models.base import utcnow
from laneway.state import AppState
from laneway.webhooks.runner import WebhookRunner
from tests.support import Api

pytestmark = pytest.mark.system

# The dead worker's lease is 3 + 1 s from its claim; the held request is killed long before
# its own 3 s limit, so no outcome is ever recorded for it.
TIMEOUT_S, MARGIN_S = 3.0, 1.0
WAIT_S = 60.0  # a guard against a hang: a worker's start has taken over 15 s on two busy cores


@dataclass
class Arrival:
    at: datetime
    message_id: str
    body: bytes


@dataclass
class HoldingReceiver:
    """Takes every request in and notes when it came; holds the first unanswered until
    `release` is set, answers the others 200 at once."""

    url: str = ""
    arrivals: list[Arrival] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.arrivals.append(Arrival(utcnow(), request.headers["webhook-id"], body))
        if len(self.arrivals) == 1:
            await self.release.wait()
        return web.Response(text="ok")


@pytest.fixture
async def holding() -> AsyncIterator[HoldingReceiver]:
    receiver = HoldingReceiver()
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    receiver.url = f"http://127.0.0.1:{port}/hook"
    try:
        yield receiver
    finally:
        receiver.release.set()  # the held handler ends; cleanup does not wait for it
        await runner.cleanup()


def _worker(database_url: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("a") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "laneway", "worker"],
            env={
                **os.environ,
                "LANEWAY_DATABASE_URL": database_url,
                "LANEWAY_DATA_DIR": str(log.parent),
                "LANEWAY_LOG_LEVEL": "INFO",
                "LANEWAY_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
                "LANEWAY_WEBHOOK_TIMEOUT_SECONDS": str(TIMEOUT_S),
                "LANEWAY_JOBS_LEASE_MARGIN_SECONDS": str(MARGIN_S),
                "LANEWAY_JOBS_POLL_SECONDS": "0.1",
                "LANEWAY_WORKER_INTERVAL_SECONDS": "300",
            },
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )


def _waited(started: float, what: str, log: Path) -> None:
    assert time.monotonic() - started < WAIT_S, f"{what}; the workers logged:\n{log.read_text()}"


async def _deliveries(state: AppState) -> list[WebhookDelivery]:
    async with state.database.transaction(write=False) as session:
        return list(await session.scalars(select(WebhookDelivery)))


async def _arrived(receiver: HoldingReceiver, count: int, log: Path) -> None:
    started = time.monotonic()
    while len(receiver.arrivals) < count:
        _waited(started, f"request {count} never arrived", log)
        await asyncio.sleep(0.02)


async def _finished(state: AppState, log: Path) -> WebhookDelivery:
    started = time.monotonic()
    while True:
        (delivery,) = await _deliveries(state)
        if delivery.state is not DeliveryState.sending:
            return delivery
        _waited(started, "its outcome was never recorded", log)
        await asyncio.sleep(0.05)


async def test_a_worker_killed_mid_delivery_loses_nothing(
    hooked: tuple[Api, AppState, WebhookRunner], holding: HoldingReceiver, tmp_path: Path
) -> None:
    api, state, _runner = hooked  # the app runs no job runner: only the workers send
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    created = await api.request(
        "POST",
        f"/projects/{pid}/webhooks",
        owner,
        json={"url": holding.url, "events": ["task.created"]},
    )
    assert created.status_code == 201, created.text
    hook_id = created.json()["id"]
    log = tmp_path / "workers.log"
    dying = _worker(state.settings.database_url, log)
    second: subprocess.Popen[bytes] | None = None
    try:
        await api.task(owner, pid, title="survives")
        await _arrived(holding, 1, log)
        dying.send_signal(signal.SIGKILL)  # the request in hand, unanswered
        assert dying.wait(timeout=5) == -signal.SIGKILL
        holding.release.set()  # its connection is gone: this answer reaches nobody

        (held,) = await _deliveries(state)
        assert (held.state, held.attempts, held.last_status) == (DeliveryState.sending, 1, None)
        assert held.lease_until is not None  # claimed just before the request arrived:
        assert held.lease_until - holding.arrivals[0].at < timedelta(seconds=TIMEOUT_S + MARGIN_S)

        second = _worker(state.settings.database_url, log)
        await _arrived(holding, 2, log)
        delivery = await _finished(state, log)
        await asyncio.sleep(0.5)  # several more passes of the second worker
    finally:
        for process in (dying, second):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()

    assert len(holding.arrivals) == 2  # nothing sent again once delivered
    # the lease held: nobody sent it again before the dead worker's lease ran out
    assert holding.arrivals[1].at >= held.lease_until
    seq = json.loads(holding.arrivals[1].body)["data"]["seq"]
    assert [a.message_id for a in holding.arrivals] == [f"msg_{hook_id}_{seq}"] * 2
    assert json.loads(holding.arrivals[1].body)["data"]["snapshot"]["title"] == "survives"
    assert (delivery.state, delivery.attempts, delivery.last_status) == (
        DeliveryState.delivered,
        2,
        200,
    )
    assert delivery.lease_until is None
    page = (await api.request("GET", f"/webhooks/{hook_id}/deliveries", owner)).json()
    assert [(i["state"], i["attempts"]) for i in page["items"]] == [("delivered", 2)]
