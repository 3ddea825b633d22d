"""The loop every job runner runs: a pass, then the next one when woken or after
`poll_seconds`, whichever comes first. A pass that fails (the database away) is logged and tried
again next round: the work waits in the database, so a failed pass or a stop loses nothing.

Two ways to wake it: `wake` for work the runner made itself (a delivery ended, the next may be
due), `wake_soon` for a commit of this process that gave it work. Commits come in bursts, and a
pass per commit would take the event loop from the requests: the first commit after a quiet
spell gets its pass at once, the commits during it or within `SETTLE_SECONDS` after it started
share one more."""

from __future__ import annotations

import asyncio
import time
from contextlib import suppress
from typing import Any

SETTLE_SECONDS = 0.1  # at most this many commit-woken passes a second: 1 / SETTLE_SECONDS


class PollLoop:
    def __init__(self, poll_seconds: float, *, name: str, log: Any) -> None:
        """`name`: the loop's task, and its log line when a pass fails (`<name> pass failed`,
        with dashes as spaces) on the runner's `log`."""
        self.poll_seconds = poll_seconds
        self._name, self._log = name, log
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._loop: asyncio.Task[None] | None = None
        self._soon: asyncio.TimerHandle | None = None  # a commit's pass, due shortly
        self._pass_started = -SETTLE_SECONDS
        self._settled = asyncio.Event()  # waiting, and no pass due from a wake

    async def poll(self) -> None:
        """One pass."""
        raise NotImplementedError

    def wake(self) -> None:
        self._wake.set()
        self._settled.clear()

    def wake_soon(self) -> None:
        """A pass for a commit: now if none started within SETTLE_SECONDS, else once that much
        has passed since the last one started (however many commits ask meanwhile)."""
        if self._loop is None or self._soon is not None or self._wake.is_set():
            return  # not running here, or a pass is already due
        wait = self._pass_started + SETTLE_SECONDS - time.monotonic()
        if wait <= 0:
            self.wake()
            return
        self._settled.clear()
        self._soon = asyncio.get_running_loop().call_later(wait, self._woken_soon)

    def _woken_soon(self) -> None:
        self._soon = None
        self.wake()

    async def settled(self) -> None:
        """Returns once no pass runs and none is due from a wake (tests: what a write cost
        includes every pass it set off)."""
        await self._settled.wait()

    @property
    def stopping(self) -> bool:
        """Set once `stop` is called: a long pass may end early."""
        return self._stopping.is_set()

    def start(self) -> None:
        self._loop = asyncio.create_task(self._run(), name=self._name)

    async def stop(self, grace: float = 0.0) -> None:
        """No pass starts after this. The pass in progress is cancelled at once or, with a
        `grace`, may end on its own within that many seconds first."""
        if self._loop is None:
            return
        self._stopping.set()
        self._wake.set()
        if self._soon is not None:
            self._soon.cancel()
            self._soon = None
        if grace > 0:
            with suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._loop), grace)
        self._loop.cancel()
        with suppress(asyncio.CancelledError):
            await self._loop

    async def _run(self) -> None:
        failed = f"{self._name.replace('-', ' ')} pass failed"
        while not self._stopping.is_set():
            self._settled.clear()
            self._pass_started = time.monotonic()
            try:
                await self.poll()
            except Exception as error:  # the database away: try again next round
                self._log.warning(failed, error=repr(error))
            if not self._wake.is_set() and self._soon is None:
                self._settled.set()
            with suppress(TimeoutError):
                async with asyncio.timeout(self.poll_seconds):
                    await self._wake.wait()
            self._wake.clear()
