"""Real `laneway serve` processes for live-stream tests: one per module, or one of a test's own."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

from laneway.rate_limits.tiers import TIERS
from tests.support import Api
from tests.test_cli import _free_port

SMALL_QUEUE = 50
CHEAP_HASHING = {  # tests need no production-cost password hashing
    "LANEWAY_AUTH_ARGON2_TIME_COST": "1",
    "LANEWAY_AUTH_ARGON2_MEMORY_KIB": "8",
    "LANEWAY_AUTH_ARGON2_PARALLELISM": "1",
}


def start_server(
    database_url: str, port: int | None = None, **options: Any
) -> tuple[subprocess.Popen[str], str]:
    """`laneway serve` on a spare port (or `port`) with cheap hashing; returns once it is ready.
    `options` as spawn_server takes them."""
    started = spawn_server(database_url, port, **options)
    wait_until_ready(*started)
    return started


def start_servers(count: int, database_url: str, **settings: str) -> list[tuple[Any, str]]:
    """Several servers on one database, started side by side: each start is mostly waiting."""
    started = [spawn_server(database_url, **settings) for _ in range(count)]
    for process, base in started:
        wait_until_ready(process, base)
    return started


def spawn_server(
    database_url: str,
    port: int | None = None,
    *,
    workers: int = 1,
    log: IO[str] | None = None,
    **settings: str,
) -> tuple[subprocess.Popen[str], str]:
    """Started, not yet ready. Its log goes to `log` when given (a pipe nobody reads would
    stall a chatty server); `settings` are LANEWAY_* variables."""
    port = port or _free_port()
    env = {
        **os.environ,
        "LANEWAY_DATABASE_URL": database_url,
        **CHEAP_HASHING,
        "LANEWAY_AUTH_LOGIN_PER_IP": "1000/minute",
        "LANEWAY_AUTH_REGISTER_PER_IP": "1000/minute",
        "LANEWAY_LOG_LEVEL": "WARNING",
        **{f"LANEWAY_RATE_LIMIT_{tier.upper()}": "100000/minute" for tier in TIERS},
        **settings,
    }
    process = subprocess.Popen(  # noqa: S603 - our own CLI
        [
            *(sys.executable, "-m", "laneway", "serve", "--no-migrate", "--port", str(port)),
            *("--workers", str(workers)),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log or subprocess.PIPE,
        text=True,
        # its own process group: a kill reaches its uvicorn workers too, which would otherwise
        # outlive it and run jobs on the database the next test gets
        start_new_session=True,
    )
    return process, f"http://127.0.0.1:{port}"


def wait_until_ready(process: subprocess.Popen[str], base: str) -> None:
    # a guard against a server that never comes up, not a measure: on two busy cores a start
    # with several workers has taken over 30 s
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited: {process.communicate()[1]}")
        try:
            if httpx.get(f"{base}/health/ready", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    _kill(process)
    pytest.fail("server did not become ready")


def _kill(process: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def stop_server(process: subprocess.Popen[str], base: str) -> str:
    """Stop it; returns what it logged."""
    process.terminate()
    try:
        return process.communicate(timeout=20)[1]
    except subprocess.TimeoutExpired:  # the server bounds its own shutdown at 10 s
        _kill(process)
        return process.communicate()[1]


# Per module: a server start costs more than most live tests, and each test makes its own
# users and projects on it.
@pytest.fixture(scope="module")
def live_server(
    module_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("live")
    process, base = start_server(module_database_url, LANEWAY_DATA_DIR=str(data_dir))
    try:
        yield base
    finally:
        stop_server(process, base)


@pytest.fixture
def small_queue_server(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A server of its own whose per-viewer queue holds SMALL_QUEUE events, behind the
    smallest kernel send buffer a live socket may have."""
    process, base = start_server(
        database_url,
        LANEWAY_DATA_DIR=str(tmp_path),
        LANEWAY_LIVE_QUEUE_SIZE=str(SMALL_QUEUE),
        LANEWAY_LIVE_SEND_BUFFER_BYTES="4096",
    )
    try:
        yield base
    finally:
        stop_server(process, base)


@pytest.fixture
async def live_api(live_server: str) -> AsyncIterator[Api]:
    async with httpx.AsyncClient(base_url=live_server, timeout=30) as http:
        yield Api(http)
