"""The loop every job runner runs: a pass, then the next one when woken (a commit of this process
that gave it work) or after `poll_seconds`, whichever comes first. A pass that fails (the
database away) is logged and tried again next round: the work waits in the database, so a failed
pass or a stop loses nothing."""

from __future__ import annotations

import asyncio
from contextlib import suppress
from typing import Any


class PollLoop:
    def __init__(self, poll_seconds: float, *, name: str, log: Any) -> None:
        """`name`: the loop's task, and its log line when a pass fails (`<name> pass failed`,
        with dashes as spaces) on the runner's `log`."""
        self.poll_seconds = poll_seconds
        self._name, self._log = name, log
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._loop: asyncio.Task[None] | None = None

    async def poll(self) -> None:
        """One pass."""
        raise NotImplementedError

    def wake(self) -> None:
        self._wake.set()

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
        if grace > 0:
            with suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._loop), grace)
        self._loop.cancel()
        with suppress(asyncio.CancelledError):
            await self._loop

    async def _run(self) -> None:
        failed = f"{self._name.replace('-', ' ')} pass failed"
        while not self._stopping.is_set():
            try:
                await self.poll()
            except Exception as error:  # the database away: try again next round
                self._log.warning(failed, error=repr(error))
            with suppress(TimeoutError):
                async with asyncio.timeout(self.poll_seconds):
                    await self._wake.wait()
            self._wake.clear()
