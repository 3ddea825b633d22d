"""A real HTTP receiver on loopback, and an app whose webhook runner the test drives."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from aiohttp import web
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from laneway.app import create_app
from laneway.config import WebhookSettings
from laneway.models.base import utcnow
from laneway.state import AppState
from laneway.webhooks.runner import WebhookRunner
from tests.conftest import make_settings
from tests.support import Api


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers each request with the next scripted status (then 200), after `delay` seconds."""

    url: str = ""
    got: list[Received] = field(default_factory=list)
    script: list[int] = field(default_factory=list)
    retry_after: str | None = None
    delay: float = 0.0
    hold: asyncio.Event | None = None  # set: requests wait for it before being answered
    connections: int = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.connections += 1
        body = await request.read()
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.hold is not None:
            await self.hold.wait()
        self.got.append(Received({k.lower(): v for k, v in request.headers.items()}, body))
        status = self.script.pop(0) if self.script else 200
        headers = {"Retry-After": self.retry_after} if self.retry_after and status >= 500 else {}
        return web.Response(status=status, text=f"answered {status}", headers=headers)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver()
    app = web.Application()
    app.router.add_post("/hook", found.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    found.url = f"http://127.0.0.1:{port}/hook"
    try:
        yield found
    finally:
        await runner.cleanup()


class Clock:
    """Real time plus however far the test has moved it on."""

    def __init__(self) -> None:
        self.ahead = timedelta()

    def __call__(self) -> datetime:
        return utcnow() + self.ahead

    def advance(self, seconds: float) -> None:
        self.ahead += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def hooked(
    database_url: str, tmp_path: Path, clock: Clock
) -> AsyncIterator[tuple[Api, AppState, WebhookRunner]]:
    """The API, and a runner on a clock the test turns (the app runs none of its own)."""
    settings = make_settings(
        database_url,
        tmp_path / "data",
        webhook=WebhookSettings(allowed_networks="127.0.0.0/8", retry_schedule="0,5,300,1800"),
    )
    application: FastAPI = create_app(settings)
    async with LifespanManager(application):
        state: AppState = application.state.laneway
        runner = WebhookRunner(state.database, state.outbound, settings, clock=clock)
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://laneway.test") as http:
            yield Api(http), state, runner
        await runner.stop()


async def one_pass(runner: WebhookRunner) -> None:
    """A pass of the runner, and the attempts it started, to their end."""
    await runner.run_once()
    await runner.drain()


async def settle(runner: WebhookRunner, until: Callable[[], bool], rounds: int = 50) -> None:
    """Passes of the runner until `until()` holds (each pass waits for its attempts)."""
    for _ in range(rounds):
        if until():
            return
        await one_pass(runner)
    assert until(), "the runner did not get there"
