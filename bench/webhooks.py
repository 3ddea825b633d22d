"""python -m bench.webhooks: webhook deliveries to a local receiver, at throughput and at rest.

`laneway serve` (one worker: its job runner sends every delivery) on a fresh bench database
on PostgreSQL, with 8 projects x 8 webhooks subscribed to every event, so each task created
fans out to 8 deliveries. The receiver is an aiohttp server in this process on loopback that
answers 200 after `--receiver-ms` (like a real endpoint that does some work) and records when
each message arrived and how many requests it was holding at once.

- throughput: `--burst` tasks created as fast as 16 clients can, then every delivery awaited;
  deliveries per second from the first arrival to the last, and the most requests in flight
  at the receiver at any one time (the runner's LANEWAY_JOBS_CONCURRENCY is 64).
- delay: tasks created one at a time, `--rate` per second for `--seconds`, receiver answering
  at once; from the create's 201 at the client to the delivery's arrival, p50/p95/max.

Prints a table and writes bench/results/webhooks-<date>-<commit>.json (`--out` elsewhere).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from aiohttp import web

from bench import dataset, servers

ROOT = Path(__file__).resolve().parent.parent
API = "/api/v1"
PROJECTS, HOOKS_PER_PROJECT = 8, 8


@dataclass
class Receiver:
    delay: float = 0.0
    arrivals: dict[str, list[float]] = field(default_factory=dict)  # title -> arrival times
    holding: int = 0
    most: int = 0
    count: int = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.holding += 1
        self.most = max(self.most, self.holding)
        try:
            body = orjson.loads(await request.read())
            if self.delay:
                await asyncio.sleep(self.delay)
            snapshot = body.get("data", {}).get("snapshot") or {}
            self.arrivals.setdefault(str(snapshot.get("title")), []).append(time.perf_counter())
            self.count += 1
            return web.Response(text="ok")
        finally:
            self.holding -= 1


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else 0.0


async def _setup(http: aiohttp.ClientSession, base: str, token: str, url: str) -> list[int]:
    headers = {"Authorization": f"Bearer {token}"}
    projects = []
    for n in range(PROJECTS):
        async with http.post(
            f"{base}{API}/projects", json={"name": f"Hooks {n}", "key": f"WH{n}"}, headers=headers
        ) as response:
            assert response.status == 201, await response.text()
            projects.append((await response.json())["id"])
        for _ in range(HOOKS_PER_PROJECT):
            async with http.post(
                f"{base}{API}/projects/{projects[-1]}/webhooks",
                json={"url": url, "events": ["task.created"]},
                headers=headers,
            ) as response:
                assert response.status == 201, await response.text()
    return projects


async def _create(
    http: aiohttp.ClientSession, base: str, token: str, project: int, title: str
) -> float:
    async with http.post(
        f"{base}{API}/projects/{project}/tasks",
        json={"title": title},
        headers={"Authorization": f"Bearer {token}"},
    ) as response:
        await response.read()
        if response.status != 201:
            raise RuntimeError(f"create answered {response.status}")
    return time.perf_counter()


async def _until(receiver: Receiver, expected: int, seconds: float) -> None:
    deadline = time.perf_counter() + seconds
    while receiver.count < expected and time.perf_counter() < deadline:
        await asyncio.sleep(0.02)


async def _throughput(
    http: aiohttp.ClientSession,
    base: str,
    token: str,
    projects: list[int],
    receiver: Receiver,
    burst: int,
    receiver_ms: float,
) -> dict[str, Any]:
    receiver.delay = receiver_ms / 1000
    before = receiver.count
    titles = iter(range(burst))
    started = time.perf_counter()

    async def client() -> None:
        for n in titles:
            await _create(http, base, token, projects[n % len(projects)], f"burst-{n}")

    await asyncio.gather(*(client() for _ in range(16)))
    created = time.perf_counter()
    expected = before + burst * HOOKS_PER_PROJECT
    await _until(receiver, expected, seconds=300)
    arrivals = [
        t for title, ts in receiver.arrivals.items() if title.startswith("burst-") for t in ts
    ]
    span = (max(arrivals) - min(arrivals)) if len(arrivals) > 1 else 0.0
    return {
        "tasks": burst,
        "deliveries": len(arrivals),
        "missing": expected - receiver.count,
        "create_seconds": round(created - started, 2),
        "deliveries_per_second": round(len(arrivals) / span, 1) if span else 0.0,
        "most_in_flight_at_receiver": receiver.most,
        "receiver_ms": receiver_ms,
    }


async def _delay(
    http: aiohttp.ClientSession,
    base: str,
    token: str,
    projects: list[int],
    receiver: Receiver,
    rate: float,
    seconds: float,
) -> dict[str, Any]:
    receiver.delay = 0.0
    acked: dict[str, float] = {}
    count = int(rate * seconds)
    for n in range(count):
        title = f"calm-{n}"
        acked[title] = await _create(http, base, token, projects[n % len(projects)], title)
        await asyncio.sleep(1 / rate)
    expected_titles = set(acked)
    deadline = time.perf_counter() + 60
    while time.perf_counter() < deadline and not all(
        len(receiver.arrivals.get(t, [])) >= HOOKS_PER_PROJECT for t in expected_titles
    ):
        await asyncio.sleep(0.02)
    delays = [
        (arrived - acked[title]) * 1000
        for title in expected_titles
        for arrived in receiver.arrivals.get(title, [])
    ]
    return {
        "tasks": count,
        "deliveries": len(delays),
        "missing": count * HOOKS_PER_PROJECT - len(delays),
        "p50_ms": round(_percentile(delays, 50), 1),
        "p95_ms": round(_percentile(delays, 95), 1),
        "max_ms": round(max(delays, default=0.0), 1),
    }


def _commit() -> str:
    found = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return found.stdout.strip() or "unknown"


async def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.webhooks", description=__doc__)
    parser.add_argument("--burst", type=int, default=500, help="tasks in the throughput burst")
    parser.add_argument("--receiver-ms", type=float, default=50.0)
    parser.add_argument("--rate", type=float, default=10.0, help="tasks per second, delay run")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the delay run")
    parser.add_argument(
        "--admin-url",
        default=os.environ.get(
            "LANEWAY_BENCH_ADMIN_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()

    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    url = await dataset.recreate_database(args.admin_url, "laneway_bench_webhooks")
    data = await dataset.seed(url, dataset.QUICK)
    command, env, ready, server_port = servers.laneway(url, 1, metrics=False)
    env["LANEWAY_WEBHOOK_ALLOWED_NETWORKS"] = "127.0.0.0/8"
    env["LANEWAY_JOBS_CONCURRENCY"] = "64"
    try:
        with servers.running(command, env, ready, server_port) as server:
            connector = aiohttp.TCPConnector(limit=32)
            async with aiohttp.ClientSession(connector=connector) as http:
                token = data.tokens[0]
                projects = await _setup(http, server.base, token, f"http://127.0.0.1:{port}/hook")
                print(
                    f"laneway on {server.base}; {PROJECTS} projects x {HOOKS_PER_PROJECT} webhooks",
                    flush=True,
                )
                burst = await _throughput(
                    http, server.base, token, projects, receiver, args.burst, args.receiver_ms
                )
                calm = await _delay(
                    http, server.base, token, projects, receiver, args.rate, args.seconds
                )
    finally:
        await runner.cleanup()

    commit = _commit()
    now = dt.datetime.now(dt.UTC)
    doc = {
        "meta": {
            "commit": commit,
            "date": now.strftime("%Y-%m-%d %H:%M UTC"),
            "command": "python -m bench.webhooks " + " ".join(sys.argv[1:]),
            "projects": PROJECTS,
            "webhooks_per_project": HOOKS_PER_PROJECT,
            "concurrency": 64,
        },
        "throughput": burst,
        "delay": calm,
    }
    print()
    print("| run | tasks | deliveries | missing | result |")
    print("|---|---:|---:|---:|---|")
    print(
        f"| throughput (receiver {args.receiver_ms:g} ms) | {burst['tasks']} | "
        f"{burst['deliveries']} | {burst['missing']} | {burst['deliveries_per_second']:g} "
        f"deliveries/s, {burst['most_in_flight_at_receiver']} in flight at most |"
    )
    print(
        f"| delay ({args.rate:g} tasks/s) | {calm['tasks']} | {calm['deliveries']} | "
        f"{calm['missing']} | commit to delivery p50 {calm['p50_ms']:g} ms, p95 "
        f"{calm['p95_ms']:g} ms, max {calm['max_ms']:g} ms |"
    )
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / f"webhooks-{now.strftime('%Y-%m-%d')}-{commit}.json"
    target.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"wrote {target}")
    return 1 if burst["missing"] or calm["missing"] else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
