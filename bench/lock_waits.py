"""How many of the bench database's backends wait for a lock, sampled every 10 ms while a
workload runs: writers queued on one row (a project's counter) show here, not in CPU."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg

_WAITING = "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'"


@dataclass
class LockWaits:
    counts: list[int] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        if not self.counts:
            return {"lock_samples": 0, "lock_waits_mean": 0.0, "lock_waits_max": 0}
        return {
            "lock_samples": len(self.counts),
            "lock_waits_mean": round(sum(self.counts) / len(self.counts), 2),
            "lock_waits_max": max(self.counts),
        }


@contextlib.asynccontextmanager
async def sampled(dsn: str, interval: float = 0.01) -> AsyncIterator[LockWaits]:
    """Samples from entering to leaving; its own connection is never one of the waiters."""
    connection = await asyncpg.connect(dsn)
    database = await connection.fetchval("SELECT current_database()")
    waits = LockWaits()
    stop = asyncio.Event()

    async def sample() -> None:
        while not stop.is_set():
            # outside a transaction each query sees the statistics as they are now
            waits.counts.append(await connection.fetchval(_WAITING, database))
            await asyncio.sleep(interval)

    sampler = asyncio.create_task(sample())
    try:
        yield waits
    finally:
        stop.set()
        await sampler  # its last query answered: the connection closes cleanly
        await connection.close()
