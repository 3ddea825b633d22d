"""The mailer runs where the jobs run, in the serving process and in `laneway worker`, and
only with LANEWAY_SMTP_URL set: without it nothing is sent, from anywhere."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import update

from laneway.app import create_app
from laneway.config import JobSettings, Settings
from laneway.models import Notification
from laneway.state import AppState
from tests.conftest import make_settings
from tests.mail.conftest import PUBLIC_URL, SmtpServer, emailed
from tests.support import Api, User, ago


async def waiting_an_hour(api: Api, state: AppState) -> User:
    """A notification for a member, made an hour ago: due at any mailer's first pass."""
    owner, alice = await api.user("owner"), await api.user("alice")
    pid = (await api.project(owner))["id"]
    await api.add_member(pid, owner, alice, "member")
    await api.task(owner, pid, assignee_id=alice.id)
    await state.notifier.drain()
    async with state.database.transaction() as session:
        await session.execute(update(Notification).values(created_at=ago(hours=1)))
    return alice


async def wait_for(condition: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "waited in vain"
        await asyncio.sleep(0.05)


async def test_the_serving_process_mails_only_with_smtp_set(
    api: Api, state: AppState, settings: Settings, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    alice = await waiting_an_hour(api, state)
    assert settings.database.url is not None
    without = make_settings(
        settings.database.url, tmp_path / "without", jobs=JobSettings(in_process=True)
    )
    app = create_app(without)
    async with LifespanManager(app):
        assert app.state.laneway.mailer is None
        assert not [t for t in asyncio.all_tasks() if t.get_name() == "mailer"]
        await asyncio.sleep(0.5)
    assert smtp_server.messages == []
    assert await emailed(state, alice.id) == [False]

    with_smtp = settings.model_copy(update={"jobs": JobSettings(in_process=True)})
    app = create_app(with_smtp)
    async with LifespanManager(app):
        assert [t for t in asyncio.all_tasks() if t.get_name() == "mailer"]
        await wait_for(lambda: len(smtp_server.messages) == 1)
    assert smtp_server.collector.recipients == [[alice.email]]
    assert await emailed(state, alice.id) == [True]


def _worker(tmp_path: Path, name: str, **env: str) -> tuple[subprocess.Popen[str], Path]:
    log = tmp_path / f"{name}.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "laneway", "worker", "--interval", "300"],
            env={**os.environ, "LANEWAY_LOG_LEVEL": "INFO", **env},
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            text=True,
        )
    return process, log


def _events(log: Path) -> list[str]:
    return [
        json.loads(line)["event"] for line in log.read_text().splitlines() if line.startswith("{")
    ]


async def _stop(process: subprocess.Popen[str]) -> int:
    process.send_signal(signal.SIGTERM)
    return await asyncio.to_thread(process.wait, 10)


@pytest.mark.system
async def test_the_worker_mails_only_with_smtp_set(
    api: Api, state: AppState, settings: Settings, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    alice = await waiting_an_hour(api, state)
    assert settings.database.url is not None
    database = {"LANEWAY_DATABASE_URL": settings.database.url}
    process, log = _worker(tmp_path, "without", **database)
    try:
        await wait_for(lambda: "housekeeping" in _events(log))  # it has started its jobs
        await asyncio.sleep(0.5)
        assert await _stop(process) == 0, log.read_text()
    finally:
        process.kill()
        process.wait()
    assert smtp_server.messages == []

    process, log = _worker(
        tmp_path,
        "with",
        **database,
        LANEWAY_SMTP_URL=smtp_server.url,
        LANEWAY_HTTP_PUBLIC_URL=PUBLIC_URL,
    )
    try:
        await wait_for(lambda: len(smtp_server.messages) == 1)
        assert await _stop(process) == 0, log.read_text()
    finally:
        process.kill()
        process.wait()
    assert smtp_server.collector.recipients == [[alice.email]]
    assert await emailed(state, alice.id) == [True]
    assert "smtp" not in " ".join(_events(log))  # no complaint about the server
