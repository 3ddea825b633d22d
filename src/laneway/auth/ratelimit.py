"""Attempt limits for signing in and signing up, shared by every worker and replica through
Redis when LANEWAY_REDIS_URL is set, and kept in this process's memory otherwise (or while
Redis is out of reach: limits then hold per process, and nothing fails).

Only failed logins count, per (account, address) and per address: the owner, signing in from
their own address with the right password, is never locked out by someone guessing elsewhere.
An address counts as the anonymous API tier counts it (kit.addresses): an IPv6 address by its
/64, so rotating through one subscriber's addresses buys no more attempts.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import structlog
from fastapi import Depends
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from starlette.requests import HTTPConnection

from laneway.config import AuthSettings
from laneway.errors import TooManyRequests
from laneway.kit.addresses import address_key
from laneway.redis_link import RedisLink, RedisUnavailable

log = structlog.get_logger("laneway.auth")


class SharedLimiter:
    def __init__(self, link: RedisLink | None, redis_url: str | None, prefix: str) -> None:
        self._memory = MovingWindowRateLimiter(MemoryStorage())
        self._link = link
        self._shared: MovingWindowRateLimiter | None = None
        if link is not None and redis_url:
            # the process's one pool (limits types its options as scalars; redis-py takes it)
            options: dict[str, Any] = {"connection_pool": link.pool}
            storage = RedisStorage(
                f"async+{redis_url}",
                implementation="redispy",
                key_prefix=f"{prefix}:limits",
                **options,
            )
            self._shared = MovingWindowRateLimiter(storage)
        self.rejected: Counter[str] = Counter()  # by limit, for /metrics

    async def _use(self, call: Callable[[MovingWindowRateLimiter], Awaitable[bool]]) -> bool:
        shared, link = self._shared, self._link
        if shared is not None and link is not None and not link.is_open:
            try:
                return await link.call(lambda _client: call(shared))
            except RedisUnavailable as error:  # slower protection, never an error
                log.warning("login limits kept per process meanwhile", error=str(error))
        return await call(self._memory)

    async def hit(self, item: RateLimitItem, *key: str) -> bool:
        return await self._use(lambda limiter: limiter.hit(item, *key))

    async def allowed(self, item: RateLimitItem, *key: str) -> bool:
        return await self._use(lambda limiter: limiter.test(item, *key))

    async def refuse(self, item: RateLimitItem, *key: str, detail: str) -> TooManyRequests:
        self.rejected[key[0]] += 1
        wait = [item.get_expiry()]

        async def reset(limiter: MovingWindowRateLimiter) -> bool:
            stats = await limiter.get_window_stats(item, *key)
            wait[0] = math.ceil(stats.reset_time - time.time())
            return True

        await self._use(reset)
        return TooManyRequests(detail, retry_after=wait[0])


class AuthLimits:
    def __init__(self, settings: AuthSettings, limiter: SharedLimiter) -> None:
        self._limiter = limiter
        self._per_account = parse(settings.login_per_account)
        self._per_ip = parse(settings.login_per_ip)
        self._register = parse(settings.register_per_ip)

    def rejections(self) -> dict[str, int]:
        return dict(self._limiter.rejected)

    def _login_keys(self, email: str, address: str) -> tuple[tuple[RateLimitItem, str, str], ...]:
        group = address_key(address)
        return (
            (self._per_account, "login-failed", f"{email} {group}"),
            (self._per_ip, "login-failed-ip", group),
        )

    async def before_login(self, email: str, address: str) -> None:
        for item, scope, key in self._login_keys(email, address):
            if not await self._limiter.allowed(item, scope, key):
                raise await self._limiter.refuse(
                    item, scope, key, detail="Too many failed logins; wait before trying again."
                )

    async def login_failed(self, email: str, address: str) -> None:
        log.warning("login failed", email=email, address=address)
        for item, scope, key in self._login_keys(email, address):
            await self._limiter.hit(item, scope, key)

    async def registration(self, address: str) -> None:
        group = address_key(address)
        if not await self._limiter.hit(self._register, "register", group):
            raise await self._limiter.refuse(
                self._register,
                "register",
                group,
                detail="Too many sign-ups from this address; wait before trying again.",
            )


async def get_auth_limits(connection: HTTPConnection) -> AuthLimits:
    limits: AuthLimits = connection.app.state.laneway.auth_limits
    return limits


AuthLimitsDep = Annotated[AuthLimits, Depends(get_auth_limits)]
