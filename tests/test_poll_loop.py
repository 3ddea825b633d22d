"""The runners' loop: a burst of commits shares a pass (`wake_soon`), where the runner's own
wakes (`wake`) each get theirs; `settled` returns once no pass runs and none is due."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from laneway.kit.poll_loop import PollLoop

BURST = 20


class Counted(PollLoop):
    def __init__(self) -> None:
        # no pass from the timer within a test: each one counted here was woken
        super().__init__(3600, name="counted", log=logging.getLogger("test"))
        self.passes = 0

    async def poll(self) -> None:
        self.passes += 1


async def burst(waking: Callable[[], None]) -> None:
    """A wake per commit, with room between them for the loop to run a pass."""
    for _ in range(BURST):
        waking()
        for _ in range(5):
            await asyncio.sleep(0)


async def test_a_burst_of_commits_shares_a_pass() -> None:
    loop = Counted()
    loop.start()
    try:
        await loop.settled()
        assert loop.passes == 1  # the one every start makes
        await burst(loop.wake_soon)
        await loop.settled()
        # one, or two where the machine paused the burst past SETTLE_SECONDS: never one each
        assert loop.passes - 1 in (1, 2)
    finally:
        await loop.stop()


async def test_the_runner_s_own_wakes_each_get_a_pass() -> None:
    loop = Counted()
    loop.start()
    try:
        await loop.settled()
        await burst(loop.wake)
        await loop.settled()
        assert loop.passes - 1 > BURST // 2  # what the burst above would cost without sharing
    finally:
        await loop.stop()


async def test_a_loop_not_started_is_not_woken_for_commits() -> None:
    loop = Counted()
    loop.wake_soon()  # a process that does not run the jobs: nothing scheduled, nothing due
    loop.start()
    await loop.settled()
    await loop.stop()
    assert loop.passes == 1
