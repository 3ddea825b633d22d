"""Start and stop the servers under test as real processes on loopback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

import httpx

from bench import procstat
from laneway.rate_limits.tiers import TIERS


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base: str

    @property
    def workers(self) -> list[int]:
        return procstat.children(self.process.pid) or [self.process.pid]


def _wait(base: str, path: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            if httpx.get(f"{base}{path}", timeout=1).status_code < 500:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"{base}{path} did not answer within 60 s")


@contextmanager
def running(
    command: list[str], env: dict[str, str], ready_path: str, port: int
) -> Iterator[Server]:
    process = subprocess.Popen(
        command,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(base, ready_path, process)
        time.sleep(0.5)  # let every worker finish starting
        yield Server(process=process, base=base)
    finally:
        # a server that died on its own (its error is what _wait raised) has no group left
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def laneway(
    url: str,
    workers: int,
    metrics: bool = True,
    redis_url: str | None = None,
    pool_size: int = 16,
) -> tuple[list[str], dict[str, str], str, int]:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "laneway",
        "serve",
        "--no-migrate",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    env = {
        "LANEWAY_DATABASE_URL": url,
        "LANEWAY_DATABASE_POOL_SIZE": str(pool_size),
        "LANEWAY_DATABASE_MAX_OVERFLOW": "4",
        "LANEWAY_LOG_LEVEL": "WARNING",
        "LANEWAY_REDIS_URL": redis_url
        or os.environ.get("LANEWAY_REDIS_URL", "redis://127.0.0.1:6379/0"),
        # a run of its own on a shared Redis: another deployment's events are not ours
        "LANEWAY_REDIS_PREFIX": f"laneway-bench-{os.getpid()}",
    }
    # The limits run on every request, as deployed, with an allowance no bench client reaches
    # (a few tokens make all the load): the figures are what counting costs, not refusals.
    for tier in TIERS:
        env[f"LANEWAY_RATE_LIMIT_{tier.upper()}"] = "100000000/minute"
    if metrics:  # as deployed: every request counted and timed for Prometheus
        env["LANEWAY_METRICS_PORT"] = str(free_port())
    return command, env, "/health/ready", port


def _uvicorn(factory: str, port: int, workers: int) -> list[str]:
    """A reference app under uvicorn, quiet and without compression, as `laneway serve` runs."""
    return [
        *(sys.executable, "-m", "uvicorn", factory, "--factory"),
        *("--port", str(port), "--workers", str(workers)),
        *("--no-access-log", "--log-level", "warning", "--ws-per-message-deflate", "false"),
    ]


def reference(
    dsn: str, board_file: str, workers: int, live_template: str | None = None
) -> tuple[list[str], dict[str, str], str, int]:
    port = free_port()
    command = _uvicorn("bench.reference:create_app", port, workers)
    env = {"BENCH_BOARD_FILE": board_file, "BENCH_ASYNCPG_DSN": dsn}
    if live_template:
        env["BENCH_LIVE_TEMPLATE"] = live_template
        env["BENCH_REDIS_URL"] = os.environ.get("LANEWAY_REDIS_URL", "redis://127.0.0.1:6379/0")
        env["BENCH_LIVE_CHANNEL"] = f"bench:ref-fanout:{port}"  # pub/sub ignores the db number
    return command, env, "/small", port


def reference_crud(url: str, workers: int) -> tuple[list[str], dict[str, str], str, int]:
    """ref-crud (bench/reference_crud.py), served as the other references are."""
    port = free_port()
    return (
        _uvicorn("bench.reference_crud:create_app", port, workers),
        {"BENCH_CRUD_URL": url},
        "/small",
        port,
    )
