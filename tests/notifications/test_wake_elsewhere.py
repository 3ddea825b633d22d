"""A notifier in `laneway worker` wakes the inbox long polls waiting on a serving process,
through Redis: the bell rings when the notification is made, not when the poll times out."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest

from laneway.config import RedisSettings, Settings
from laneway.state import AppState
from tests.conftest import make_settings
from tests.support import Api

pytestmark = pytest.mark.system

REDIS = "redis://127.0.0.1:6379/0"  # the shared one, under a prefix of this test's own


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    prefix = f"laneway-test-{uuid.uuid4().hex[:8]}"
    return make_settings(
        database_url, tmp_path / "data", redis=RedisSettings(url=REDIS, prefix=prefix)
    )


async def test_a_worker_s_notifier_wakes_a_poll_waiting_here(
    api: Api, state: AppState, settings: Settings, tmp_path: Path
) -> None:
    owner, alice = await api.user(), await api.user()
    pid = (await api.project(owner))["id"]
    await api.add_member(pid, owner, alice, "member")
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    await api.task(owner, pid, assignee_id=alice.id, due_date=yesterday)  # nobody notified yet

    poll = asyncio.create_task(
        api.request("GET", "/me/notifications/wait", alice, params={"after": 0, "timeout": 30})
    )
    await asyncio.sleep(2.5)  # past the looks this process's own events set off
    assert not poll.done()
    assert state.waiters.waiting == 1

    assert settings.database.url is not None
    log = tmp_path / "worker.log"
    with log.open("w") as stderr:
        worker = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "laneway", "worker", "--interval", "300"),
            env={
                **os.environ,
                "LANEWAY_DATABASE_URL": settings.database.url,
                "LANEWAY_REDIS_URL": REDIS,
                "LANEWAY_REDIS_PREFIX": settings.redis.prefix,
                "LANEWAY_LOG_LEVEL": "INFO",
            },
            stdout=asyncio.subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        # the poll's own timeout is over 27 s away: an answer before then is the worker's word
        answer = await asyncio.wait_for(poll, 24)
    finally:
        worker.send_signal(signal.SIGTERM)
        await asyncio.wait_for(worker.wait(), 15)
    assert answer.status_code == 200, answer.text
    assert answer.json()["newest"] > 0
    assert answer.json()["unread"] >= 1, log.read_text()  # assigned (overdue comes next)
