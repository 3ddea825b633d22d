"""The moment `laneway serve` is told to stop, before it waits for the requests in flight.

uvicorn lets requests in flight finish for up to its graceful timeout, then cancels the rest,
and a cancelled request is a 500. A long poll would be one of them: told at once, it answers
now instead, and its client asks again elsewhere. uvicorn tells the application nothing until
every request is done, so this chains onto the handler its server installs for SIGINT and
SIGTERM; anywhere else (tests, another server) it does nothing.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

import uvicorn

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def when_stopping(callback: Callable[[], None]) -> Callable[[], None]:
    """Run `callback` on this loop when uvicorn's server is told to stop; returns an undo."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None  # only the main thread may set signal handlers
    loop = asyncio.get_running_loop()
    servers: dict[int, Any] = {}
    for each in _SIGNALS:
        handler = signal.getsignal(each)
        if isinstance(getattr(handler, "__self__", None), uvicorn.Server):
            servers[each] = handler

    def stop(sig: int, frame: FrameType | None) -> None:
        loop.call_soon_threadsafe(callback)
        servers[sig](sig, frame)

    for number in servers:
        signal.signal(number, stop)

    def undo() -> None:
        for number, handler in servers.items():
            if signal.getsignal(number) is stop:
                signal.signal(number, handler)

    return undo
