"""python -m bench --faults: what a Redis outage and a PostgreSQL restart cost under load.

Two Laneway replicas (one worker each) run on a PostgreSQL cluster and a redis-server of the
run's own (initdb and redis-server on spare loopback ports: the machine's own are never
touched), and the mixed workload goes through both. For each fault: load before it, the
fault, load after it; every request is timed and counted in the phase its answer came in (a
request in flight when the fault begins counts as during), and the first replica's readiness
is sampled twice a second. The load runs a few seconds unmeasured first (pools, caches).

- redis: redis-server killed for 30 s (quick: 6 s), then started again, empty.
- postgres: PostgreSQL stopped (fast shutdown) for 5 s (quick: 3 s), then started again.

A client that gets a 5xx or no answer waits 0.1 s before its next request, as a client that
honours Retry-After would (without it, a refused request takes microseconds and the counts
say only how fast the loop spins).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bench import dataset, servers, workloads
from bench.driver import Step
from deploy.local.services import PostgresCluster, RedisServer

ROOT = Path(__file__).resolve().parent.parent
BACK_OFF_S = 0.1
WARM_UP_S = 3.0


@dataclass
class Timeline:
    """Every request's start, latency and status (0: no answer), and the phases' starts."""

    samples: list[tuple[float, float, int]] = field(default_factory=list)
    marks: list[tuple[str, float]] = field(default_factory=list)
    readiness: list[tuple[float, str]] = field(default_factory=list)

    def mark(self, phase: str) -> None:
        self.marks.append((phase, time.perf_counter()))

    def phase_of(self, at: float) -> str | None:
        current = None
        for name, started in self.marks:
            if started <= at:
                current = name
        return current


def _percentile(ordered: list[float], p: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _klass(status: int) -> str:
    if status == 0:
        return "no answer"
    if status == 503:
        return "503"
    if status >= 500:
        return "other 5xx"
    if status >= 400:
        return f"{status}"
    return "2xx/3xx"


def summarize(timeline: Timeline, fault: str) -> list[dict[str, Any]]:
    rows = []
    ends = [*(at for _, at in timeline.marks[1:]), float("inf")]
    for (phase, began), ended in zip(timeline.marks, ends, strict=True):  # warm-up: unmarked
        if phase == "end":
            continue
        samples = [s for s in timeline.samples if began <= s[0] + s[1] / 1000 < ended]
        latencies = sorted(s[1] for s in samples)
        last = max((s[0] + s[1] / 1000 for s in samples), default=began)
        seconds = (min(ended, last) - began) or 1.0
        classes = Counter(_klass(s[2]) for s in samples)
        ready = Counter(state for at, state in timeline.readiness if began <= at < ended)
        rows.append(
            {
                "fault": fault,
                "phase": phase,
                "requests": len(samples),
                "rps": round(len(samples) / seconds, 1),
                "p50_ms": round(_percentile(latencies, 50), 1),
                "p95_ms": round(_percentile(latencies, 95), 1),
                "answers": dict(classes),
                "errors_5xx": sum(n for k, n in classes.items() if k in {"503", "other 5xx"}),
                "other_5xx": classes.get("other 5xx", 0),
                "no_answer": classes.get("no answer", 0),
                "readiness": dict(ready),
            }
        )
    return rows


async def _drive(steps: list[Step], clients: int, timeline: Timeline, stop: asyncio.Event) -> None:
    connector = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def client(index: int) -> None:
            step = steps[index % len(steps)]
            while not stop.is_set():
                began = time.perf_counter()
                try:
                    status = await step(session, index)
                except (aiohttp.ClientError, TimeoutError):
                    status = 0
                timeline.samples.append((began, (time.perf_counter() - began) * 1000, status))
                if status == 0 or status >= 500:
                    await asyncio.sleep(BACK_OFF_S)

        await asyncio.gather(*(client(i) for i in range(clients)))


async def _watch_readiness(base: str, timeline: Timeline, stop: asyncio.Event) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        while not stop.is_set():
            try:
                async with session.get(f"{base}/health/ready") as response:
                    state = str((await response.json())["status"])
            except (aiohttp.ClientError, TimeoutError, ValueError, KeyError):
                state = "no answer"
            timeline.readiness.append((time.perf_counter(), state))
            await asyncio.sleep(0.5)


async def _under_load(
    steps: list[Step],
    clients: int,
    base: str,
    script: Callable[[Timeline], Awaitable[dict[str, float]]],
) -> tuple[Timeline, dict[str, float]]:
    timeline, stop = Timeline(), asyncio.Event()
    running = [
        asyncio.create_task(_drive(steps, clients, timeline, stop)),
        asyncio.create_task(_watch_readiness(base, timeline, stop)),
    ]
    try:
        extra = await script(timeline)
    finally:
        timeline.mark("end")
        stop.set()
        await asyncio.gather(*running)
    return timeline, extra


async def _first_after(timeline: Timeline, since: float, ok: Callable[[], bool]) -> float:
    """Seconds from `since` until `ok()` holds (polled), at most 60."""
    deadline = since + 60
    while not ok() and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    return round(time.perf_counter() - since, 2)


def _redis_fault(redis: RedisServer, calm: float, down: float) -> Any:
    async def script(timeline: Timeline) -> dict[str, float]:
        await asyncio.sleep(WARM_UP_S)
        timeline.mark("before")
        await asyncio.sleep(calm)
        timeline.mark("during")
        redis.kill()
        await asyncio.sleep(down)
        redis.start()
        back = time.perf_counter()
        timeline.mark("after")
        ready = await _first_after(
            timeline,
            back,
            lambda: (
                bool(timeline.readiness)
                and timeline.readiness[-1][0] > back
                and timeline.readiness[-1][1] == "ready"
            ),
        )
        await asyncio.sleep(max(0.0, calm - (time.perf_counter() - back)))
        return {"seconds_to_ready": ready}

    return script


def _postgres_fault(cluster: PostgresCluster, calm: float, down: float) -> Any:
    async def script(timeline: Timeline) -> dict[str, float]:
        await asyncio.sleep(WARM_UP_S)
        timeline.mark("before")
        await asyncio.sleep(calm)
        timeline.mark("during")
        await asyncio.to_thread(cluster.stop)
        await asyncio.sleep(down)
        await asyncio.to_thread(cluster.start)  # returns once the server accepts connections
        back = time.perf_counter()
        timeline.mark("after")
        recovered = await _first_after(
            timeline,
            back,
            lambda: any(at > back and 200 <= status < 300 for at, _, status in timeline.samples),
        )
        await asyncio.sleep(max(0.0, calm - (time.perf_counter() - back)))
        return {"seconds_to_first_success": recovered}

    return script


def markdown(doc: dict[str, Any]) -> str:
    meta = doc["meta"]
    lines = [
        f"# Fault run: {meta['commit']}, {meta['date']}",
        "",
        f"`{meta['command']}`: two replicas (one worker each), {meta['clients']} clients on the "
        f"mixed workload ({meta['dataset']}); Redis down {meta['redis_down_s']:g} s, "
        f"PostgreSQL down {meta['postgres_down_s']:g} s; a client waits {BACK_OFF_S:g} s after "
        "a 5xx or no answer.",
        "",
        "| fault | phase | requests | req/s | p50 ms | p95 ms | 503 | other 5xx | no answer "
        "| readiness seen |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in doc["rows"]:
        ready = ", ".join(f"{k} {v}" for k, v in sorted(row["readiness"].items()))
        lines.append(
            f"| {row['fault']} | {row['phase']} | {row['requests']} | {row['rps']:g} "
            f"| {row['p50_ms']:g} | {row['p95_ms']:g} | {row['answers'].get('503', 0)} "
            f"| {row['other_5xx']} | {row['no_answer']} | {ready} |"
        )
    lines.append("")
    for fault, extra in doc["recovery"].items():
        lines.append(
            f"- {fault}: " + ", ".join(f"{k.replace('_', ' ')} {v:g}" for k, v in extra.items())
        )
    return "\n".join(lines) + "\n"


async def run(args: argparse.Namespace, commit: str) -> int:
    calm = 5.0 if args.quick else 15.0
    redis_down = 6.0 if args.quick else 30.0
    postgres_down = 3.0 if args.quick else 5.0
    clients = args.clients or (8 if args.quick else 16)
    size = dataset.QUICK
    cluster = PostgresCluster()
    redis = RedisServer(Path(tempfile.mkdtemp(prefix="laneway-bench-redis-")))
    rows: list[dict[str, Any]] = []
    recovery: dict[str, dict[str, float]] = {}
    try:
        await asyncio.to_thread(cluster.create)
        redis.start()
        url = await dataset.recreate_database(cluster.url, "laneway_faults")
        data = await dataset.seed(url, size)
        people = workloads.clients(data, clients)
        replicas = [
            servers.laneway(url, 1, metrics=False, redis_url=redis.url, pool_size=8)
            for _ in range(2)
        ]
        with servers.running(*replicas[0]) as one, servers.running(*replicas[1]) as two:
            steps = [workloads.mixed(server.base, data, people) for server in (one, two)]
            print(f"laneway on {one.base} and {two.base}; {clients} clients", flush=True)
            faults = {
                "redis": _redis_fault(redis, calm, redis_down),
                "postgres": _postgres_fault(cluster, calm, postgres_down),
            }
            for fault, script in faults.items():
                timeline, extra = await _under_load(steps, clients, one.base, script)
                recovery[fault] = extra
                for row in summarize(timeline, fault):
                    rows.append(row)
                    print(
                        f"  {fault:<9} {row['phase']:<7} {row['rps']:>7.0f} req/s  "
                        f"p50 {row['p50_ms']:6.1f}  p95 {row['p95_ms']:6.1f} ms  "
                        f"answers {row['answers']}  readiness {row['readiness']}",
                        flush=True,
                    )
    finally:
        redis.kill()
        await asyncio.to_thread(cluster.destroy)

    now = dt.datetime.now(dt.UTC)
    doc = {
        "meta": {
            "commit": commit,
            "date": now.strftime("%Y-%m-%d %H:%M UTC"),
            "command": "python -m bench --faults" + (" --quick" if args.quick else ""),
            "clients": clients,
            "dataset": f"{size.big_tasks} tasks on the big board",
            "redis_down_s": redis_down,
            "postgres_down_s": postgres_down,
            "calm_s": calm,
        },
        "rows": rows,
        "recovery": recovery,
    }
    out = args.out or (
        Path(tempfile.mkdtemp(prefix="laneway-faults-"))
        if args.quick
        else ROOT / "bench" / "results"
    )
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{now.strftime('%Y-%m-%d')}-{commit}-faults" + ("-quick" if args.quick else "")
    text = markdown(doc)
    (out / f"{stem}.json").write_text(json.dumps(doc, indent=2) + "\n")
    (out / f"{stem}.md").write_text(text)
    print()
    print(text)
    print(f"wrote {out / stem}.json, .md")
    # a 500 (or a request never answered) is a defect; 503s while PostgreSQL is down are not
    broken = sum(row["other_5xx"] + row["no_answer"] for row in rows)
    redis_errors = sum(row["errors_5xx"] for row in rows if row["fault"] == "redis")
    if broken or redis_errors:
        print(f"{broken + redis_errors} requests failed where none should", flush=True)
        return 1
    return 0
