"""A commit wakes the webhook runner only for events an active webhook of its project wants, so
a write elsewhere costs its own transaction and nothing more; a webhook created in another
process is delivered for the next change all the same (at once with Redis telling of it,
else by the runner's poll).

The jobs run in the serving process here, as in production, but poll once a minute: a pass
within a test is one a commit woke (the second app's test sets its own poll)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from laneway.app import create_app
from laneway.config import JobSettings, RedisSettings, Settings, WebhookSettings
from laneway.state import AppState
from tests.conftest import make_settings
from tests.support import Api, TransactionCounter, User
from tests.webhooks.conftest import Receiver

LOOPBACK = WebhookSettings(allowed_networks="127.0.0.0/8")
REDIS = "redis://127.0.0.1:6379/0"  # the shared one, under a prefix of this test's own


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(
        database_url,
        tmp_path / "data",
        webhook=LOOPBACK,
        jobs=JobSettings(in_process=True, poll_seconds=60),
    )


async def settled(state: AppState) -> None:
    """Every runner idle with no pass due, no delivery in flight: what a write set off is over
    (a delivery that ends wakes its runner, for the webhook's next)."""
    while True:
        for runner in (state.webhooks, state.notifier, state.transfers):
            await runner.settled()
        if not state.webhooks.in_flight:
            return
        await state.webhooks.drain()


async def hook(api: Api, owner: User, pid: int, url: str) -> None:
    created = await api.request(
        "POST", f"/projects/{pid}/webhooks", owner, json={"url": url, "events": ["task.created"]}
    )
    assert created.status_code == 201, created.text


def delivered(receiver: Receiver) -> list[str]:
    return [received.body.decode() for received in receiver.got]


async def wait_for(condition: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "waited in vain"
        await asyncio.sleep(0.02)


async def test_a_write_no_runner_has_work_for_costs_its_own_transaction(
    api: Api, state: AppState, receiver: Receiver
) -> None:
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    hooked = (await api.project(owner, "Hooked"))["id"]
    await hook(api, owner, hooked, receiver.url)
    await api.task(owner, pid)  # the token, the role and the statuses cached
    await api.task(owner, hooked)
    await settled(state)
    assert len(receiver.got) == 1

    with TransactionCounter(state.database.engine) as quiet:
        await api.task(owner, pid, description="nobody to tell")  # its reporter is its actor
        await settled(state)
    with TransactionCounter(state.database.engine) as woken:
        await api.task(owner, hooked, description="nobody to tell")
        await settled(state)

    assert (quiet.begun, quiet.committed, quiet.rolled_back) == (1, 1, 0)
    # the same write where a webhook wants it: its pass turned it into a delivery, sent
    assert woken.begun > 1
    assert len(receiver.got) == 2


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[tuple[Api, AppState]]:
    application: FastAPI = create_app(settings)
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://laneway.test") as http:
            yield Api(http), application.state.laneway


async def test_a_webhook_made_elsewhere_is_delivered_by_the_poll(
    database_url: str, tmp_path: Path, receiver: Receiver
) -> None:
    """No Redis: this process hears nothing of the other's webhook until it reads them again,
    so its commit may wake nothing; its poll delivers all the same."""
    jobs = make_settings(
        database_url,
        tmp_path / "jobs",
        webhook=LOOPBACK,
        jobs=JobSettings(in_process=True, poll_seconds=0.2),
    )
    other = make_settings(database_url, tmp_path / "other", webhook=LOOPBACK)
    async with serving(jobs) as (api, state), serving(other) as (elsewhere, _):
        owner = await api.user()
        pid = (await api.project(owner))["id"]
        await state.webhooks.settled()
        await hook(elsewhere, owner, pid, receiver.url)
        await api.task(owner, pid, title="Right after")
        await wait_for(lambda: len(receiver.got) == 1)
    assert '"title":"Right after"' in delivered(receiver)[0]


async def test_a_webhook_made_elsewhere_wakes_the_runner_here_through_redis(
    database_url: str, tmp_path: Path, receiver: Receiver
) -> None:
    redis = RedisSettings(url=REDIS, prefix=f"laneway-test-{uuid.uuid4().hex[:8]}")
    jobs = make_settings(
        database_url,
        tmp_path / "jobs",
        webhook=LOOPBACK,
        redis=redis,
        jobs=JobSettings(in_process=True, poll_seconds=60),
    )
    other = make_settings(database_url, tmp_path / "other", webhook=LOOPBACK, redis=redis)
    async with serving(jobs) as (api, state), serving(other) as (elsewhere, far):
        await wait_for(lambda: state.fanout.redis_up and far.fanout.redis_up)
        owner = await api.user()
        pid = (await api.project(owner))["id"]
        await state.webhooks.settled()  # its first read of the webhooks is done: none
        assert not state.webhooks.hooked.wanted(pid, "task.created")

        await hook(elsewhere, owner, pid, receiver.url)
        await wait_for(lambda: state.webhooks.hooked.wanted(pid, "task.created"))
        await api.task(owner, pid, title="Right after")
        await settled(state)  # no poll for a minute: only the commit's wake delivers
    assert len(receiver.got) == 1
    assert '"title":"Right after"' in delivered(receiver)[0]
