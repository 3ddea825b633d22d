"""One serving process of a data directory runs the jobs (LANEWAY_JOBS_ONE_PROCESS): whichever
holds its jobs.lock. When that one exits, however it exits, another takes over."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from laneway.app import create_app
from laneway.config import JobSettings
from laneway.jobs.lock import JobsLock
from laneway.state import AppState
from tests.conftest import make_settings
from tests.realtime.conftest import start_server, stop_server

DATABASE = "postgresql+asyncpg://db.example/laneway"


def test_one_holder_at_a_time(tmp_path: Path) -> None:
    first, second = JobsLock(tmp_path / "data", DATABASE), JobsLock(tmp_path / "data", DATABASE)
    assert first.take()
    assert not second.take()
    assert first.take()  # its own, still
    first.release()
    assert second.take()
    assert not first.take()
    second.release()


def test_instances_on_other_databases_hold_locks_of_their_own(tmp_path: Path) -> None:
    one, other = JobsLock(tmp_path, DATABASE), JobsLock(tmp_path, DATABASE + "_other")
    assert one.take()
    assert other.take()
    one.release()
    other.release()


def test_a_lock_that_cannot_be_had_leaves_the_jobs_running_here(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("a file where the data directory should be")
    lock = JobsLock(blocked, DATABASE)
    assert lock.take()  # more runners than needed, never none
    lock.release()


async def wait_for(condition: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "waited in vain"
        await asyncio.sleep(0.05)


def holds(app: FastAPI) -> bool:
    state: AppState = app.state.laneway
    return state.jobs_lock is not None and state.jobs_lock.held


async def test_the_next_process_takes_over_when_the_first_stops(
    database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(
        database_url, tmp_path / "data", jobs=JobSettings(in_process=True, poll_seconds=0.05)
    )
    first, second = create_app(settings), create_app(settings)
    async with AsyncExitStack() as second_lives:
        async with AsyncExitStack() as first_lives:
            await first_lives.enter_async_context(LifespanManager(first))
            await second_lives.enter_async_context(LifespanManager(second))
            assert holds(first)
            assert not holds(second)
        await wait_for(lambda: holds(second))  # the first stopped
        # it runs them: its runners made their first pass
        await asyncio.wait_for(second.state.laneway.notifier.settled(), 20)


async def test_every_process_runs_them_when_told(database_url: str, tmp_path: Path) -> None:
    settings = make_settings(
        database_url, tmp_path / "data", jobs=JobSettings(in_process=True, one_process=False)
    )
    first, second = create_app(settings), create_app(settings)
    async with LifespanManager(first), LifespanManager(second):
        for app in (first, second):
            state: AppState = app.state.laneway
            assert state.jobs_lock is None
            await asyncio.wait_for(state.notifier.settled(), 20)  # its runners made a pass


def _lines(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]


def _running(log: Path) -> list[int]:
    """The processes that said they run the jobs, in order."""
    return [line["pid"] for line in _lines(log) if line["event"] == "this process runs the jobs"]


def _started(log: Path) -> int:
    return sum(line["event"].startswith("Application startup complete") for line in _lines(log))


def wait_until(condition: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "waited in vain"
        time.sleep(0.05)


@pytest.mark.system
def test_one_worker_of_serve_runs_the_jobs_until_it_dies(database_url: str, tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    with log.open("w") as sink:
        process, base = start_server(
            database_url,
            workers=2,
            log=sink,
            LANEWAY_DATA_DIR=str(tmp_path / "data"),
            LANEWAY_LOG_LEVEL="INFO",
            LANEWAY_LOG_FORMAT="json",
            LANEWAY_JOBS_POLL_SECONDS="0.2",
        )
        try:
            wait_until(lambda: _started(log) == 2)
            time.sleep(1)  # five tries of the one that waits, in vain
            (first,) = _running(log)
            os.kill(first, signal.SIGKILL)
            wait_until(lambda: len(_running(log)) == 2)
            assert _running(log)[1] != first
        finally:
            stop_server(process, base)
