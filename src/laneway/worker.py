"""`laneway worker`: the background process. Every interval it runs each housekeeping job and
logs one line with what each deleted. SIGTERM or SIGINT stops it after the batch in progress.
Several may run at once (see housekeeping.py)."""

from __future__ import annotations

import asyncio
import signal
import time
from contextlib import suppress

import structlog

from laneway import housekeeping
from laneway.config import Settings
from laneway.db import Database
from laneway.observability.logging import configure_logging

log = structlog.get_logger("laneway.worker")


async def run_jobs(database: Database, batch_size: int, stop: asyncio.Event) -> bool:
    """One run of every job; logs the counts. False if a job failed."""
    started = time.monotonic()
    sweep = housekeeping.Sweep(database, batch_size, stopping=stop.is_set)
    deleted: dict[str, int] = {}
    failed: dict[str, str] = {}
    for name, job in housekeeping.JOBS.items():
        if stop.is_set():
            break
        try:
            deleted[name] = await job(sweep)
        except Exception as error:  # one failing job (database away) must not end the others
            failed[name] = repr(error)
    seconds = round(time.monotonic() - started, 3)
    if failed:
        log.error("housekeeping", deleted=deleted, failed=failed, seconds=seconds)
    else:
        log.info("housekeeping", deleted=deleted, seconds=seconds, stopped=stop.is_set())
    return not failed


async def work(settings: Settings, *, once: bool = False, interval: float | None = None) -> int:
    """Run until SIGTERM/SIGINT (or once); the process's exit code."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    every = interval or settings.worker.interval_seconds
    database = Database(settings)
    log.info("worker started", interval_seconds=every, once=once)
    try:
        while True:
            ok = await run_jobs(database, settings.worker.batch_size, stop)
            if once:
                return 0 if ok else 1
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)
            if stop.is_set():
                return 0
    finally:
        await database.dispose()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
        log.info("worker stopped")


def main(*, once: bool = False, interval: float | None = None) -> int:
    settings = Settings()
    configure_logging(settings.log)
    return asyncio.run(work(settings, once=once, interval=interval))
