"""The soak: the mixed workload for a long while, the workers' memory sampled as it runs.

Memory that grows with the requests served (a cache without a bound, a leak) shows here as a
rising line; the report gives each sample and the growth after the first minute's warm-up.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bench import driver, procstat


async def run(
    step: driver.Step,
    expected: set[int],
    *,
    clients: int,
    duration: float,
    workers: list[int],
    every: float = 30.0,
) -> dict[str, Any]:
    samples: list[dict[str, Any]] = []
    began = time.perf_counter()

    def sample() -> None:
        samples.append(
            {
                "at_s": round(time.perf_counter() - began),
                "rss_mb": [round(procstat.rss_mb(pid), 1) for pid in workers],
            }
        )

    async def sampler() -> None:
        while True:
            sample()
            await asyncio.sleep(every)

    sampling = asyncio.create_task(sampler())
    try:
        result = await driver.run(
            step, clients=clients, duration=duration, warmup=0, expected=expected
        )
    finally:
        sampling.cancel()
    sample()
    warm = next((s for s in samples if s["at_s"] >= 60), samples[0])
    return {
        "seconds": round(result.seconds, 1),
        "requests": result.requests,
        "rps": round(result.rate, 1),
        "errors": dict(result.errors),
        "samples": samples,
        "rss_mb_after_first_minute": warm["rss_mb"],
        "rss_mb_at_end": samples[-1]["rss_mb"],
        "growth_mb_after_first_minute": round(
            max(
                end - start
                for start, end in zip(warm["rss_mb"], samples[-1]["rss_mb"], strict=True)
            ),
            1,
        ),
        "peak_rss_mb_per_worker": round(max(procstat.peak_rss_mb(pid) for pid in workers), 1),
    }
