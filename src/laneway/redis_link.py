"""This process's one way to Redis, which only ever speeds Laneway up.

One connection pool for everything the process sends (live fan-out, rate limits, the login
limiter, readiness); every call has a short timeout and one jittered retry (redis-py's own), and
passes a circuit breaker (purgatory): after a few failures in a row calls stop trying for a
while and fail at once, so a Redis that is down or hanging costs a request nothing. Each user
of the link has its local fallback (limits per process, viewers fed by the log relay, caches
with their age limit); the breaker's state is in readiness and in /metrics.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import structlog
from purgatory import AsyncCircuitBreakerFactory
from purgatory.domain.model import OpenedState
from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

if TYPE_CHECKING:
    from laneway.config import RedisSettings

log = structlog.get_logger("laneway.redis")
T = TypeVar("T")
CIRCUIT = "redis"
# what says Redis is out of reach (a wrong command or a script error says nothing about that)
_OUTAGES = (RedisConnectionError, RedisTimeoutError, OSError, TimeoutError)


class RedisUnavailable(Exception):
    """Redis did not answer, or the breaker is open: use the local fallback."""


def _not_an_outage(error: BaseException) -> bool:
    return not isinstance(error, _OUTAGES)


class RedisLink:
    @classmethod
    def configured(cls, settings: RedisSettings) -> RedisLink | None:
        """The link `LANEWAY_REDIS_*` describe; None without a URL."""
        if not settings.url:
            return None
        return cls(
            settings.url,
            timeout=settings.timeout_seconds,
            failures_to_open=settings.breaker_failures,
            open_seconds=settings.breaker_open_seconds,
        )

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 1.0,
        failures_to_open: int = 3,
        open_seconds: float = 5.0,
    ) -> None:
        self.pool: ConnectionPool = ConnectionPool.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(ExponentialWithJitterBackoff(base=0.02, cap=0.2), retries=1),
            retry_on_error=[RedisConnectionError, RedisTimeoutError],
            health_check_interval=30,
        )
        self.client: Redis = Redis(connection_pool=self.pool)
        self._breakers = AsyncCircuitBreakerFactory(
            default_threshold=failures_to_open,
            default_ttl=open_seconds,
            # only an outage counts towards opening; any other error passes through as it is
            exclude=[(BaseException, _not_an_outage)],
        )
        self._breakers.add_listener(self._on_breaker_event)
        self.open_seconds = open_seconds
        # socket timeouts bound each connect and read; this bounds a whole call (connect, send,
        # read, one retry), so no call can hold its caller, or the breaker's trial, for longer
        self.call_seconds = 3 * timeout
        self.state = "closed"  # closed | opened | half-opened, as purgatory names them
        self.opened_at = 0.0
        self.opened_total = 0

    @property
    def is_open(self) -> bool:
        """True while calls would fail without trying; once `open_seconds` have passed the
        next call is the breaker's trial, so users that skip an open link still let it close."""
        return self.state == "opened" and time.time() < self.opened_at + self.open_seconds

    def _on_breaker_event(self, name: str, event_type: str, event: Any) -> None:
        if event_type != "state_changed":
            return
        previous, self.state = self.state, event.state
        if event.state == "opened":
            self.opened_at = event.opened_at or time.time()
            self.opened_total += 1
            log.warning(
                "redis circuit opened: limits, live fan-out and caches run locally meanwhile",
                was=previous,
            )
        elif event.state == "closed":
            log.info("redis circuit closed: redis answers again")

    async def call(self, work: Callable[[Redis], Awaitable[T]]) -> T:
        """`work(client)` through the breaker; an outage (or an open breaker) raises
        RedisUnavailable, any other error as it is."""
        breaker = await self._breakers.get_breaker(CIRCUIT)
        try:
            async with breaker, asyncio.timeout(self.call_seconds):
                return await work(self.client)
        except OpenedState as error:
            raise RedisUnavailable("circuit open") from error
        except _OUTAGES as error:
            raise RedisUnavailable(str(error) or type(error).__name__) from error

    async def ping(self) -> None:
        await self.call(lambda client: client.ping())

    async def close(self) -> None:
        await self.client.aclose()
        await self.pool.aclose()
