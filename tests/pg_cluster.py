"""A PostgreSQL cluster of a test's own (initdb on a spare port), for tests that stop and
start the database: the machine's own server is never touched."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from contextlib import suppress
from pathlib import Path

from tests.test_cli import _free_port

BIN = Path("/usr/lib/postgresql") / sorted(os.listdir("/usr/lib/postgresql"))[-1] / "bin"


class PostgresCluster:
    def __init__(self) -> None:
        self.port = _free_port()
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
        self._run(str(BIN / "initdb"), "-D", str(self.data), "-U", "postgres",
                  "--auth=trust", "--no-sync")  # fmt: skip
        self.start()

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(str(BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-w", "-l",
                  str(self.directory / "log"), "start")  # fmt: skip

    def stop(self) -> None:
        self._run(str(BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def destroy(self) -> None:
        with suppress(subprocess.CalledProcessError):  # already stopped
            self._run(str(BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.directory, ignore_errors=True)

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"
