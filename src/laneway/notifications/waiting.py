"""Long polls for a user's next notification: the inbox's bell updates the moment one is made.

A waiter sleeps on an event of its own. The notifier of this process wakes exactly the users
it made notifications for. A notifier elsewhere (a worker, another replica) is not heard
directly, but the change it notifies about is: every event this process publishes to its live
viewers (its own commits, Redis, the relay) makes each waiter look again, at once and a moment
later, when that notifier has had its turn. Looking is one indexed query; nothing is held
between looks.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import Annotated, Any, TypeVar

from fastapi import Depends
from starlette.requests import HTTPConnection
from starlette.types import Receive

T = TypeVar("T")
LOOK_AGAIN_AFTER = (0.0, 0.7, 2.0)  # seconds after any event: the notifier runs after commit


class Waiters:
    def __init__(self) -> None:
        self._by_user: dict[int, set[asyncio.Event]] = {}
        self._later: list[asyncio.TimerHandle] = []
        self._stopping = False

    def stop(self) -> None:
        """The server is stopping: every poll answers now, and any new one at once."""
        self._stopping = True
        self._wake_all()

    def made(self, user_ids: Iterable[int]) -> None:
        """This process made notifications for these users."""
        for user_id in user_ids:
            for wake in self._by_user.get(user_id, ()):
                wake.set()

    def events_seen(self) -> None:
        """Some project changed: everyone waiting looks again now and in a moment."""
        if not self._by_user:
            return
        loop = asyncio.get_running_loop()
        self._later = [h for h in self._later if not h.cancelled() and h.when() > loop.time()]
        if len(self._later) > 2 * len(LOOK_AGAIN_AFTER):
            return  # a burst: the looks already scheduled cover it
        for delay in LOOK_AGAIN_AFTER:
            self._later.append(loop.call_later(delay, self._wake_all))

    def _wake_all(self) -> None:
        for wakes in self._by_user.values():
            for wake in wakes:
                wake.set()

    @property
    def waiting(self) -> int:
        return sum(len(w) for w in self._by_user.values())

    async def wait(
        self,
        user_id: int,
        newest: Callable[[], Awaitable[int]],
        after: int,
        seconds: float,
    ) -> int:
        """The user's newest notification id, once it is past `after` or after `seconds`."""
        wake = asyncio.Event()
        self._by_user.setdefault(user_id, set()).add(wake)
        try:
            async with asyncio.timeout(seconds):
                while True:
                    wake.clear()
                    latest = await newest()
                    if latest > after or self._stopping:
                        return latest
                    await wake.wait()
        except TimeoutError:
            return await newest()
        finally:
            wakes = self._by_user.get(user_id)
            if wakes is not None:
                wakes.discard(wake)
                if not wakes:
                    del self._by_user[user_id]


async def unless_gone(receive: Receive, waiting: Coroutine[Any, Any, T]) -> T | None:
    """`waiting`'s result, or None as soon as the client disconnects: a closed tab frees its
    waiter at once, and a server that is stopping is not held up by a poll nobody will read."""

    async def gone() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass  # the request's (empty) body

    answer = asyncio.ensure_future(waiting)
    watch = asyncio.ensure_future(gone())
    try:
        await asyncio.wait((answer, watch), return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (answer, watch):
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
    return answer.result() if answer.done() and not answer.cancelled() else None


async def get_waiters(connection: HTTPConnection) -> Waiters:
    waiters: Waiters = connection.app.state.laneway.waiters
    return waiters


WaitersDep = Annotated[Waiters, Depends(get_waiters)]
