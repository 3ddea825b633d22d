"""A closed-loop load driver: N clients, each sends its next request when the last answered.

Loopback only, bounded by time. Latency is measured from send to the end of the body.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

# A client step: sends one request with the session it is given and returns the status code.
# A step may carry `prepare`, a step of the same shape run before each measured one and left
# out of the figures (board-cold changes the board before each read).
Step = Callable[[aiohttp.ClientSession, int], Awaitable[int]]


@dataclass
class RunResult:
    requests: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "seconds": round(self.seconds, 2),
            "rps": round(self.rate, 1),
            "p50_ms": round(self.percentile(50), 2),
            "p95_ms": round(self.percentile(95), 2),
            "p99_ms": round(self.percentile(99), 2),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "errors": dict(self.errors),
        }


async def run(
    step: Step, *, clients: int, duration: float, warmup: float, expected: set[int]
) -> RunResult:
    """Warm up, then measure for `duration` seconds; unexpected statuses count as errors."""
    connector = aiohttp.TCPConnector(limit=clients, force_close=False)
    timeout = aiohttp.ClientTimeout(total=30)
    result = RunResult()
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        measuring = False
        stop_at = 0.0
        prepare: Step | None = getattr(step, "prepare", None)

        async def client(index: int) -> None:
            while True:
                if prepare is not None:
                    try:
                        prepared = await prepare(session, index)
                    except (aiohttp.ClientError, TimeoutError) as exc:
                        prepared = 0
                        if measuring:
                            result.errors[f"prepare {type(exc).__name__}"] += 1
                    if measuring and prepared >= 400:
                        result.errors[f"prepare HTTP {prepared}"] += 1
                now = time.perf_counter()
                if measuring and now >= stop_at:
                    return
                try:
                    status = await step(session, index)
                except (aiohttp.ClientError, TimeoutError) as exc:
                    if measuring:
                        result.errors[type(exc).__name__] += 1
                    continue
                if measuring:
                    result.latencies_ms.append((time.perf_counter() - now) * 1000)
                    result.requests += 1
                    result.statuses[status] += 1
                    if status not in expected:
                        result.errors[f"HTTP {status}"] += 1

        tasks = [asyncio.create_task(client(i)) for i in range(clients)]
        await asyncio.sleep(warmup)
        measuring = True
        started = time.perf_counter()
        stop_at = started + duration
        await asyncio.gather(*tasks)
        result.seconds = time.perf_counter() - started
    return result
