"""Which of `laneway serve --workers N`'s processes runs the jobs: the one holding an exclusive
`flock` on `{LANEWAY_DATA_DIR}/jobs-{database}.lock`, named after the database the jobs are
in, so two instances that share a directory but not a database each run their own. The others
try again every poll, so when it exits, however it exits (the kernel drops a dead process's
locks, SIGKILL included), one of them takes over within LANEWAY_JOBS_POLL_SECONDS.

Why a file lock: uvicorn starts its workers alike and starts a new one for each that dies, so
nothing tells the first worker from the rest for good; a PostgreSQL advisory lock would hold a
connection and does nothing on SQLite. Every process of one `serve` shares its data directory,
which is all this decides: replicas on other machines each run their own, as the jobs allow
(any number of runners gives one result). A lock that cannot be taken for any reason but
another holder (a read-only directory, a filesystem without locks) leaves this process running
the jobs: more runners than needed, never none.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from pathlib import Path

import structlog

log = structlog.get_logger("laneway.jobs")


class JobsLock:
    def __init__(self, data_dir: Path, database_url: str) -> None:
        database = hashlib.sha256(database_url.encode()).hexdigest()[:12]
        self.path = data_dir / f"jobs-{database}.lock"
        self._fd: int | None = None
        self.held = False

    def take(self) -> bool:
        """Whether this process may run the jobs now (kept until `release` or its exit)."""
        if self.held:
            return True
        try:
            if self._fd is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # another process runs them
        except OSError as error:
            log.warning("jobs lock unavailable; this process runs the jobs", error=str(error))
        else:
            log.info("this process runs the jobs", pid=os.getpid())
        self.held = True
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the only descriptor drops the lock
        self._fd, self.held = None, False
