"""Login throttling per account and per client address (in-process moving window)."""

from __future__ import annotations

import math
import time

from limits import parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from laneway.config import AuthSettings
from laneway.errors import TooManyRequests


class LoginLimiter:
    def __init__(self, settings: AuthSettings) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._per_account = parse(settings.login_per_account)
        self._per_ip = parse(settings.login_per_ip)

    async def hit(self, email: str, client_ip: str) -> None:
        for item, key in ((self._per_account, email), (self._per_ip, client_ip)):
            if not await self._limiter.hit(item, "login", key):
                stats = await self._limiter.get_window_stats(item, "login", key)
                raise TooManyRequests(
                    "Too many login attempts; wait before trying again.",
                    retry_after=math.ceil(stats.reset_time - time.time()),
                )
