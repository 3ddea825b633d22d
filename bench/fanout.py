"""The fan-out workload: N live viewers on one project while moves are made at a fixed rate.

Reports delivery latency from the event's commit time to its receipt by a viewer, the events
each viewer missed (must be 0) or got twice, and the server workers' memory.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import orjson
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from bench import procstat
from bench.dataset import Dataset
from laneway.realtime.client import live_url


@dataclass
class Viewer:
    seqs: list[int] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    resumes: int = 0


def _pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def _last_seq(dsn: str, project_id: int) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        return int(
            await connection.fetchval(
                "SELECT event_seq FROM project_counters WHERE project_id = $1", project_id
            )
        )
    finally:
        await connection.close()


async def run(
    base: str,
    data: Dataset,
    dsn: str,
    workers: list[int],
    *,
    viewers: int,
    rate: float,
    duration: float,
) -> dict[str, Any]:
    start = await _last_seq(dsn, data.big_project)
    watchers = [Viewer() for _ in range(viewers)]
    stop = asyncio.Event()
    opening = asyncio.Semaphore(50)
    rss_before = sum(procstat.rss_mb(p) for p in workers)

    async def watch(index: int, viewer: Viewer) -> None:
        """Follow the stream; when the server drops this viewer for being slow (4008), resume
        from the last event like a real client, so "missed" counts only events never received."""
        token = data.tokens[index % len(data.tokens)]
        last = start
        while not stop.is_set():
            async with opening:
                socket = await connect(
                    live_url(base, data.big_project, last),
                    additional_headers={"Authorization": f"Bearer {token}"},
                    max_queue=None,
                    open_timeout=60,
                )
            async with socket:
                try:
                    while not stop.is_set():
                        try:
                            raw = await asyncio.wait_for(socket.recv(), 1.0)
                        except TimeoutError:
                            continue
                        message = orjson.loads(raw)
                        if "seq" not in message:
                            continue
                        sent = datetime.fromisoformat(message["created_at"])
                        viewer.latencies_ms.append(
                            (datetime.now(UTC) - sent).total_seconds() * 1000
                        )
                        viewer.seqs.append(message["seq"])
                        last = message["seq"]
                except ConnectionClosed:
                    viewer.resumes += 1

    tasks = [asyncio.create_task(watch(i, v)) for i, v in enumerate(watchers)]
    await asyncio.sleep(min(30.0, 1.0 + viewers / 100))  # let every viewer connect
    rng = random.Random(9)  # a repeatable choice of tasks
    statuses: dict[int, int] = {}
    headers = {"Authorization": f"Bearer {data.tokens[0]}", "If-Match": "*"}
    in_flight: set[asyncio.Task[None]] = set()
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:

        async def move(task_id: int, status_id: int) -> None:
            response = await http.post(
                f"/api/v1/tasks/{task_id}/move", json={"status_id": status_id}, headers=headers
            )
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        # open loop: a move every 1/rate seconds whether or not the last one has answered
        began = time.perf_counter()
        sent = 0
        while time.perf_counter() - began < duration:
            task_id, _status = rng.choice(data.tasks)
            task = asyncio.create_task(move(task_id, rng.choice(data.statuses)))
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
            sent += 1
            await asyncio.sleep(max(0.0, began + sent / rate - time.perf_counter()))
        await asyncio.gather(*in_flight)
        elapsed = time.perf_counter() - began
    final = await _last_seq(dsn, data.big_project)
    deadline = time.perf_counter() + 60
    while time.perf_counter() < deadline and any(
        not v.seqs or v.seqs[-1] < final for v in watchers
    ):
        await asyncio.sleep(0.2)
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)

    expected = list(range(start + 1, final + 1))
    missed = sum(len(set(expected) - set(v.seqs)) for v in watchers)
    duplicated = sum(len(v.seqs) - len(set(v.seqs)) for v in watchers)
    out_of_order = sum(v.seqs != sorted(v.seqs) for v in watchers)
    latencies = [ms for v in watchers for ms in v.latencies_ms]
    return {
        "viewers": viewers,
        "changes_per_s": rate,
        "achieved_per_s": round((final - start) / elapsed, 1),
        "events": final - start,
        "deliveries": len(latencies),
        "missed": missed,
        "duplicates": duplicated,
        "resumes": sum(v.resumes for v in watchers),
        "out_of_order_viewers": out_of_order,
        "p50_ms": round(_pct(latencies, 50), 1),
        "p95_ms": round(_pct(latencies, 95), 1),
        "p99_ms": round(_pct(latencies, 99), 1),
        "writes": statuses,
        "rss_mb_before": round(rss_before, 1),
        "rss_mb_after": round(sum(procstat.rss_mb(p) for p in workers), 1),
        "peak_rss_mb_per_worker": round(max(procstat.peak_rss_mb(p) for p in workers), 1),
    }
