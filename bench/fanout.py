"""The fan-out workload: N live viewers of one project while changes are made at rising rates.

The same ramp drives Laneway (a task move per change) and the bare reference (`ref-fanout`, a
publish per change, see bench/reference_live.py). At each rate it reports delivery latency from
the event's commit time to its receipt, what each viewer missed (must be 0) or got twice, the
CPU the server processes spent per delivery and the CPU the client spent per delivery (to show
the instrument is not the bottleneck); then the highest rate sustained with p99 <= 100 ms and
nothing missed.
"""

from __future__ import annotations

import asyncio
import base64
import os
import random
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import numpy as np
import orjson

from bench import procstat
from bench.dataset import Dataset

SUSTAINED_P99_MS = 100.0
DRAIN_SECONDS = 60.0
# changes an overloaded server turned away (timed out, or 503 while the database pool was
# exhausted): past saturation the ramp expects some, and reports them
SHED = {0, 503}


@dataclass
class Target:
    name: str
    base: str
    path: str  # of the live socket
    tokens: list[str]
    pids: list[int]  # the server processes
    last_seq: Callable[[], Awaitable[int]]
    change: Callable[[httpx.AsyncClient], Awaitable[int]]  # one change; its status code


def laneway(base: str, data: Dataset, dsn: str, pids: list[int]) -> Target:
    rng = random.Random(9)  # a repeatable choice of tasks
    headers = {"Authorization": f"Bearer {data.tokens[0]}", "If-Match": "*"}

    async def last_seq() -> int:
        connection = await asyncpg.connect(dsn)
        try:
            return int(
                await connection.fetchval(
                    "SELECT event_seq FROM project_counters WHERE project_id = $1",
                    data.big_project,
                )
            )
        finally:
            await connection.close()

    async def move(http: httpx.AsyncClient) -> int:
        task_id, _status = rng.choice(data.tasks)
        response = await http.post(
            f"/api/v1/tasks/{task_id}/move",
            json={"status_id": rng.choice(data.statuses)},
            headers=headers,
        )
        return response.status_code

    path = f"/api/v1/projects/{data.big_project}/live"
    return Target("laneway", base, path, data.tokens, pids, last_seq, move)


def reference(base: str, tokens: list[str], pids: list[int]) -> Target:
    async def last_seq() -> int:
        async with httpx.AsyncClient(base_url=base) as http:
            return int((await http.get("/live/seq")).json()["seq"])

    async def publish(http: httpx.AsyncClient) -> int:
        return (await http.post("/live/publish")).status_code

    return Target("ref-fanout", base, "/live", tokens, pids, last_seq, publish)


class Viewers:
    """Viewer processes (bench/viewers.py), each holding a share of the viewers."""

    def __init__(self, processes: list[asyncio.subprocess.Process]) -> None:
        self.processes = processes

    @classmethod
    async def connect(
        cls, target: Target, count: int, after: int, processes: int, deflate: bool
    ) -> Viewers:
        spawned = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bench.viewers",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                limit=1 << 26,
            )
            for _ in range(processes)
        ]
        viewers = cls(spawned)
        shares = [count // processes + (i < count % processes) for i in range(processes)]
        firsts = [sum(shares[:i]) for i in range(processes)]
        replies = await viewers.ask(
            [
                {
                    "cmd": "connect",
                    "base": target.base,
                    "path": target.path,
                    "tokens": target.tokens,
                    "first": first,
                    "count": share,
                    "after": after,
                    "deflate": deflate,
                }
                for first, share in zip(firsts, shares, strict=True)
            ]
        )
        connected = sum(r["connected"] for r in replies)
        if connected != count:
            raise RuntimeError(f"{target.name}: {connected} of {count} viewers connected")
        return viewers

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]

    async def ask(self, commands: dict[str, Any] | list[dict[str, Any]]) -> list[dict[str, Any]]:
        if isinstance(commands, dict):
            commands = [commands] * len(self.processes)
        for process, command in zip(self.processes, commands, strict=True):
            assert process.stdin is not None
            process.stdin.write(orjson.dumps(command) + b"\n")
        replies = []
        for process in self.processes:
            assert process.stdout is not None
            line = await process.stdout.readline()
            if not line:
                raise RuntimeError("a viewer process died")
            replies.append(orjson.loads(line))
        return replies

    async def stop(self) -> None:
        try:
            await asyncio.wait_for(self.ask({"cmd": "stop"}), 10)
        finally:
            for process in self.processes:
                if process.returncode is None:
                    process.kill()
                await process.wait()


async def _changes(target: Target, rate: float, seconds: float) -> tuple[dict[int, int], float]:
    """Open loop: a change every 1/rate seconds whether or not the last one has answered."""
    statuses: dict[int, int] = {}
    in_flight: set[asyncio.Task[None]] = set()
    async with httpx.AsyncClient(base_url=target.base, timeout=30) as http:

        async def change() -> None:
            try:
                status = await target.change(http)
            except httpx.HTTPError:  # an overloaded server: a failed write, not a crash
                status = 0
            statuses[status] = statuses.get(status, 0) + 1

        began = time.perf_counter()
        sent = 0
        while time.perf_counter() - began < seconds:
            task = asyncio.create_task(change())
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
            sent += 1
            await asyncio.sleep(max(0.0, began + sent / rate - time.perf_counter()))
        await asyncio.gather(*in_flight)
        return statuses, time.perf_counter() - began


async def _step(target: Target, viewers: Viewers, rate: float, seconds: float) -> dict[str, Any]:
    start = await target.last_seq()
    await viewers.ask({"cmd": "step", "start": start})
    server, client = procstat.CpuMeter(target.pids), procstat.CpuMeter([*viewers.pids, os.getpid()])
    viewer_cpu = procstat.CpuMeter(viewers.pids)
    for meter in (server, client, viewer_cpu):
        meter.start()
    began = time.time()
    writes, elapsed = await _changes(target, rate, seconds)
    final = await target.last_seq()
    caught_up = all(
        r["caught_up"]
        for r in await viewers.ask({"cmd": "wait", "final": final, "timeout": DRAIN_SECONDS})
    )
    server_s, client_s, viewer_s = server.stop(), client.stop(), viewer_cpu.stop()
    reports = await viewers.ask({"cmd": "report", "start": start, "final": final})
    latencies = np.concatenate(
        [np.frombuffer(base64.b64decode(r["latencies"]), dtype=np.float32) for r in reports]
    )
    deliveries = int(latencies.size)
    last_receipt = max(r["last_receipt"] for r in reports)
    p50, p95, p99 = (
        (float(v) for v in np.percentile(latencies, [50, 95, 99])) if deliveries else (0, 0, 0)
    )
    per_delivery = 1e6 / max(1, deliveries)
    return {
        "rate": rate,
        "events": final - start,
        "achieved_per_s": round((final - start) / elapsed, 1),
        "deliveries": deliveries,
        "deliveries_per_s": round(deliveries / max(1e-9, last_receipt - began)),
        "p50_ms": round(p50, 1),
        "p95_ms": round(p95, 1),
        "p99_ms": round(p99, 1),
        "missed": sum(r["missed"] for r in reports),
        "duplicates": sum(r["duplicates"] for r in reports),
        "out_of_order": sum(r["out_of_order"] for r in reports),
        "resumes": sum(r["resumes"] for r in reports),
        "refused": sum(r["refused"] for r in reports),
        "caught_up": caught_up,
        "server_cpu_us": round(server_s * per_delivery, 1),
        "client_cpu_us": round(client_s * per_delivery, 1),
        "viewer_cpu_us": round(viewer_s * per_delivery, 1),
        "writes": writes,
        "shed": sum(n for status, n in writes.items() if status in SHED),
        "sample": next((r["sample"] for r in reports if r["sample"]), ""),
    }


def sustained(steps: list[dict[str, Any]]) -> float:
    """The highest achieved rate of a step that kept p99 within bounds and missed nothing."""
    good = [
        s["achieved_per_s"]
        for s in steps
        if s["p99_ms"] <= SUSTAINED_P99_MS and not s["missed"] and not s["duplicates"]
    ]
    return max(good, default=0.0)


async def ramp(
    target: Target,
    *,
    viewers: int,
    rates: list[float],
    seconds: float,
    processes: int = 2,
    deflate: bool = True,
) -> dict[str, Any]:
    rss_before = sum(procstat.rss_mb(p) for p in target.pids)
    fleet = await Viewers.connect(target, viewers, await target.last_seq(), processes, deflate)
    try:
        # a short warm-up: pools fill, code paths get hot; it is not measured
        await _step(target, fleet, rates[0], min(1.0, seconds))
        steps = []
        for rate in rates:
            steps.append(await _step(target, fleet, rate, seconds))
            print(f"  {target.name:<16} {_line(steps[-1])}", flush=True)
            await asyncio.sleep(min(1.0, seconds / 2))  # let the server settle
    finally:
        await fleet.stop()
    samples = [s.pop("sample") for s in steps]
    sample = next((s for s in reversed(samples) if s), "")
    return {
        "viewers": viewers,
        "step_s": seconds,
        "message_bytes": len(sample.encode()),
        "sample": sample,
        "steps": steps,
        "sustained_per_s": sustained(steps),
        "rss_mb_before": round(rss_before, 1),
        "rss_mb_after": round(sum(procstat.rss_mb(p) for p in target.pids), 1),
        "peak_rss_mb_per_worker": round(max(procstat.peak_rss_mb(p) for p in target.pids), 1),
    }


def _line(step: dict[str, Any]) -> str:
    return (
        f"{step['rate']:>4g}/s: {step['achieved_per_s']:>5g} ev/s {step['deliveries_per_s']:>6} "
        f"del/s p50 {step['p50_ms']} p95 {step['p95_ms']} p99 {step['p99_ms']} ms, "
        f"missed {step['missed']} dup {step['duplicates']} resumes {step['resumes']} "
        f"shed {step['shed']}, "
        f"CPU/delivery server {step['server_cpu_us']} us client {step['client_cpu_us']} us"
    )


def failures(result: dict[str, Any]) -> int:
    """Missed, duplicated or reordered deliveries, and changes that failed other than by
    overload, over every step."""
    count = 0
    for step in result["steps"]:
        count += step["missed"] + step["duplicates"] + step["out_of_order"]
        count += (
            sum(n for status, n in step["writes"].items() if not 200 <= int(status) < 300)
            - step["shed"]
        )
    return count
