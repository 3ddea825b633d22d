"""Throwaway services on spare loopback ports: a redis-server and a PostgreSQL cluster (initdb)
of a test's or a fault bench's own, which it can stop and start without touching the machine's
shared ones."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import suppress
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RedisServer:
    """Our own redis-server on a spare port, so it can be killed without touching the shared one."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - a fixed local command
            [
                shutil.which("redis-server") or "/usr/bin/redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


def _bin(program: str) -> str:
    """Debian's newest PostgreSQL server program (not on PATH there)."""
    versions = Path("/usr/lib/postgresql")
    return str(versions / sorted(os.listdir(versions))[-1] / "bin" / program)


class PostgresCluster:
    def __init__(self) -> None:
        self.port = free_port()
        # outside pytest's tmp_path: the postgres user must be able to reach it
        self.directory = Path(tempfile.mkdtemp(prefix="laneway-pg-"))
        self.data = self.directory / "data"

    def _run(self, *command: str) -> None:
        # initdb and pg_ctl refuse to run as root: as root, run them as the postgres user
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run(  # noqa: S603 - fixed local commands
            [*prefix, *command], check=True, capture_output=True, timeout=60
        )

    def create(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
        self._run(_bin("initdb"), "-D", str(self.data), "-U", "postgres",
                  "--auth=trust", "--no-sync")  # fmt: skip
        self.start()

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-o", options, "-w", "-l",
                  str(self.directory / "log"), "start")  # fmt: skip

    def stop(self) -> None:
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def destroy(self) -> None:
        with suppress(subprocess.CalledProcessError):  # already stopped
            self._run(_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.directory, ignore_errors=True)

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"
