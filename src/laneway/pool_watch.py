"""Connections held too long: each checkout is noted (when, by which asyncio task), and a
watcher logs any connection out of the pool longer than `LANEWAY_DATABASE_HELD_WARNING_SECONDS`,
with where the task that took it is now (or that it ended without giving it back: a leak).

Noting a checkout is a dictionary write; the task's stack is read only for a connection
already held too long, so requests pay nothing for it.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

log = structlog.get_logger("laneway.db")

_PACKAGE = str(Path(__file__).resolve().parent)


@dataclass(slots=True)
class _Checkout:
    since: float
    task: asyncio.Task[Any] | None
    reported: bool = False


class PoolWatch:
    def __init__(self, engine: AsyncEngine, threshold: float) -> None:
        self.threshold = threshold
        self._out: dict[int, _Checkout] = {}
        self._task: asyncio.Task[None] | None = None
        self.reported = 0  # connections logged as held too long
        pool = engine.sync_engine
        event.listen(pool, "checkout", self._checked_out)
        event.listen(pool, "checkin", self._checked_in)

    def _checked_out(self, _dbapi: Any, record: Any, _proxy: Any) -> None:
        try:
            task = asyncio.current_task()
        except RuntimeError:  # a checkout outside the event loop (a migration's thread)
            task = None
        self._out[id(record)] = _Checkout(time.monotonic(), task)

    def _checked_in(self, _dbapi: Any, record: Any) -> None:
        self._out.pop(id(record), None)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="pool-watch")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(max(self.threshold / 4, 0.05))
            self.check()

    def check(self) -> None:
        now = time.monotonic()
        for checkout in list(self._out.values()):
            held = now - checkout.since
            if checkout.reported or held < self.threshold:
                continue
            checkout.reported = True
            self.reported += 1
            log.warning(
                "database connection held too long",
                held_seconds=round(held, 1),
                task=checkout.task.get_name() if checkout.task is not None else None,
                where=_where(checkout.task),
            )


def _where(task: asyncio.Task[Any] | None) -> list[str]:
    """The task's own frames (Laneway's code), innermost last; or why there are none."""
    if task is None:
        return ["outside the event loop"]
    if task.done():
        return [f"the task ended without returning it: {task.get_coro()!r}"]
    # Task.get_stack() shows a suspended task's outermost frame only: follow what each
    # coroutine awaits instead, down to where it waits now
    frames: list[str] = []
    awaited: Any = task.get_coro()
    for _ in range(100):
        if awaited is None:
            break
        frame = getattr(awaited, "cr_frame", None) or getattr(awaited, "gi_frame", None)
        if frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
            name = Path(frame.f_code.co_filename).relative_to(_PACKAGE)
            frames.append(f"{name}:{frame.f_lineno} {frame.f_code.co_name}")
        awaited = getattr(awaited, "cr_await", None) or getattr(awaited, "gi_yieldfrom", None)
    return frames or [repr(task.get_coro())]
