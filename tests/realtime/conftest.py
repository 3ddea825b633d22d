"""A real `laneway serve` process per test, on the test's database, for live-stream tests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import IO

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
    database_url: str,
    port: int | None = None,
    *,
    workers: int = 1,
    log: IO[str] | None = None,
    **settings: str,
) -> tuple[subprocess.Popen[str], str]:
    """`laneway serve` on a spare port (or `port`) with cheap hashing; returns once it is ready.
    Its log goes to `log` when given (a pipe nobody reads would stall a chatty server)."""
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
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited: {process.communicate()[1]}")
        try:
            if httpx.get(f"{base}/health/ready", timeout=1).status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    pytest.fail("server did not become ready")


def stop_server(process: subprocess.Popen[str], base: str) -> str:
    """Stop it; returns what it logged."""
    process.terminate()
    try:
        return process.communicate(timeout=20)[1]
    except subprocess.TimeoutExpired:  # the server bounds its own shutdown at 10 s
        process.kill()
        return process.communicate()[1]


@pytest.fixture
def live_server(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    # @pytest.mark.small_live_queue gives the server a tiny per-viewer queue
    queue = SMALL_QUEUE if request.node.get_closest_marker("small_live_queue") else 1000
    process, base = start_server(
        database_url, LANEWAY_DATA_DIR=str(tmp_path), LANEWAY_LIVE_QUEUE_SIZE=str(queue)
    )
    try:
        yield base
    finally:
        stop_server(process, base)


@pytest.fixture
async def live_api(live_server: str) -> AsyncIterator[Api]:
    async with httpx.AsyncClient(base_url=live_server, timeout=30) as http:
        yield Api(http)
