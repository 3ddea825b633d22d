"""python -m bench: seed, serve the way production runs here, load, measure, report.

python -m bench            # full run: 5,000-task board, 32 clients, 20 s per workload
python -m bench --quick    # a few seconds per workload on a small dataset (CI runs this)
python -m bench --faults   # Redis stopped and PostgreSQL restarted under load (bench/faults.py)
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench import (
    dataset,
    driver,
    fanout,
    faults,
    gate,
    lock_waits,
    procstat,
    reference_crud,
    report,
    servers,
    soak,
    statements,
    workloads,
)

ROOT = Path(__file__).resolve().parent.parent


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small dataset, a few seconds each")
    parser.add_argument("--duration", type=float, help="seconds per workload (20; quick 3)")
    parser.add_argument("--warmup", type=float, help="seconds of warm-up (3; quick 1)")
    parser.add_argument("--clients", type=int, help="concurrent clients (32; quick 8)")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers (2)")
    parser.add_argument("--workloads", default=",".join([*workloads.WORKLOADS, "fanout"]))
    parser.add_argument("--viewers", type=int, help="live viewers for fanout (1000; quick 50)")
    parser.add_argument(
        "--rates", default="5,10,20,50", help="changes per second, one fanout step each"
    )
    parser.add_argument(
        "--admin-url",
        default=os.environ.get(
            "LANEWAY_BENCH_ADMIN_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
        ),
        help="a PostgreSQL database to create the bench database from",
    )
    parser.add_argument(
        "--soak",
        type=float,
        default=0.0,
        help="after the workloads, the mixed workload for this many seconds, sampling the "
        "workers' memory (600 for the published 10-minute soak)",
    )
    parser.add_argument(
        "--no-metrics",
        action="store_true",
        help="run Laneway without its Prometheus metrics (to measure what they cost)",
    )
    parser.add_argument(
        "--faults",
        action="store_true",
        help="instead of the workloads: Redis stopped 30 s and PostgreSQL restarted under load, "
        "p50/p95 and errors before, during and after each (bench/faults.py)",
    )
    parser.add_argument("--out", type=Path, help="where results go (default bench/results)")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="a report to compare with (default: bench/results/LATEST.json, or QUICK.json "
        "with --quick)",
    )
    parser.add_argument(
        "--save-quick",
        action="store_true",
        help="with --quick: keep this run as bench/results/QUICK.json, the next runs' baseline",
    )
    parser.add_argument(
        "--seed-only",
        action="store_true",
        help="seed the bench database, write bench/results/dataset.json (for locust) and stop",
    )
    return parser.parse_args()


async def _load(
    name: str,
    base: str,
    data: dataset.Dataset,
    people: list[workloads.Client],
    args: argparse.Namespace,
    app_pids: list[int],
    dsn: str,
) -> dict[str, Any]:
    factory, expected = workloads.WORKLOADS[name]
    return await _measure(factory(base, data, people), expected, args, app_pids, dsn)


async def _measure(
    step: driver.Step,
    expected: set[int],
    args: argparse.Namespace,
    app_pids: list[int],
    dsn: str,
) -> dict[str, Any]:
    # warm-up first (it also opens the pool's connections), then meters and measurement cover
    # the same window; PostgreSQL's backends are found after the warm-up for that reason
    await driver.run(step, clients=args.clients, duration=args.warmup, warmup=0, expected=expected)
    app_cpu, pg_cpu = procstat.CpuMeter(app_pids), procstat.CpuMeter(procstat.named("postgres"))
    app_cpu.start()
    pg_cpu.start()
    async with lock_waits.sampled(dsn) as waits:
        result = await driver.run(
            step, clients=args.clients, duration=args.duration, warmup=0, expected=expected
        )
    row = result.summary() | waits.summary()
    requests = max(1, result.requests)
    row["app_cpu_ms"] = round(app_cpu.stop() * 1000 / requests, 3)
    row["pg_cpu_ms"] = round(pg_cpu.stop() * 1000 / requests, 3)
    row["peak_rss_mb"] = round(max(procstat.peak_rss_mb(p) for p in app_pids), 1)
    return row


def _request(method: str, url: str) -> driver.Step:
    async def step(session: Any, _index: int) -> int:
        async with session.request(method, url) as response:
            await response.read()
            return int(response.status)

    return step


def _print_row(name: str, row: dict[str, Any]) -> None:
    errors = sum(row["errors"].values())
    print(
        f"  {name:<16} {row['rps']:>8.0f} req/s  p50 {row['p50_ms']:6.1f}  p95 {row['p95_ms']:6.1f}"
        f"  p99 {row['p99_ms']:6.1f} ms  errors {errors}"
        + (
            f"  lock waits mean {row['lock_waits_mean']} max {row['lock_waits_max']}"
            if "lock_waits_mean" in row
            else ""
        ),
        flush=True,
    )


async def main() -> int:
    args = _args()
    logging.getLogger().setLevel(logging.WARNING)
    if args.faults:
        return await faults.run(args, _git("rev-parse", "--short", "HEAD") or "unknown")
    size = dataset.QUICK if args.quick else dataset.FULL
    args.duration = args.duration or (3.0 if args.quick else 20.0)
    args.warmup = args.warmup if args.warmup is not None else (1.0 if args.quick else 3.0)
    args.clients = args.clients or (8 if args.quick else 32)
    args.viewers = args.viewers or (50 if args.quick else 1000)
    rates = [float(r) for r in args.rates.split(",") if r.strip()]
    live: dict[str, Any] | None = None
    sample = Path(tempfile.mkstemp(suffix=".json")[1])
    soaked: dict[str, Any] | None = None
    names = [n.strip() for n in args.workloads.split(",") if n.strip()]

    started = time.perf_counter()
    url = await dataset.recreate_database(args.admin_url, dataset.database_name())
    data = await dataset.seed(url, size)
    print(
        f"seeded {len(data.tasks)} tasks on the big board and ran ANALYZE"
        f" in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    if args.seed_only:
        target = ROOT / "bench" / "results" / "dataset.json"
        target.write_text(json.dumps(dataclasses.asdict(data)) + "\n")
        print(f"wrote {target}; the database is {url}")
        return 0
    counted = await statements.per_request(data)
    over = statements.over_budget(counted)
    for name, (count, budget) in over.items():
        print(f"  {name}: {count} statements per request, budget {budget}", flush=True)
    data.tasks[0] = (data.tasks[0][0], data.statuses[2])  # the statement count moved it
    people = workloads.clients(data, args.clients)
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")

    rows: dict[str, dict[str, Any]] = {}
    board_file = Path(tempfile.mkstemp(suffix=".json")[1])
    with servers.running(*servers.laneway(url, args.workers, not args.no_metrics)) as server:
        board = httpx.get(
            f"{server.base}/api/v1/projects/{data.big_project}/board",
            headers={"Authorization": f"Bearer {data.tokens[0]}"},
        )
        board_file.write_bytes(board.content)
        print(f"laneway on {server.base} (workers {server.workers})", flush=True)
        for name in names:
            if name == "fanout":
                continue
            rows[name] = await _load(name, server.base, data, people, args, server.workers, dsn)
            rows[name]["statements"] = counted.get(name, "")
            _print_row(name, rows[name])
        if args.soak:
            factory, expected = workloads.WORKLOADS["mixed"]
            soaked = await soak.run(
                factory(server.base, data, people),
                expected,
                clients=args.clients,
                duration=args.soak,
                workers=server.workers,
            )
            print(
                f"  soak             {soaked['seconds']} s, {soaked['rps']} req/s, RSS per worker "
                f"{soaked['rss_mb_after_first_minute']} -> {soaked['rss_mb_at_end']} MB",
                flush=True,
            )
        if "fanout" in names:
            target = fanout.laneway(server.base, data, dsn, server.workers)
            live = {"laneway": await _fanout(target, args, rates)}
            sample.write_text(live["laneway"]["sample"])

    connection = await asyncpg.connect(dsn)
    await connection.execute(
        "CREATE TABLE IF NOT EXISTS bench_reference (id serial PRIMARY KEY, title text)"
    )
    await connection.close()
    template = str(sample) if live else None
    with servers.running(
        *servers.reference(dsn, str(board_file), args.workers, template)
    ) as server:
        print(f"references on {server.base}", flush=True)
        if live is not None:
            target = fanout.reference(server.base, data.tokens, server.workers)
            live["reference"] = await _fanout(target, args, rates)
            live["ratio"] = report.sustained_ratio(live)
        http_references = (
            (
                ("ref-small", "/small", "GET", {200}),
                ("ref-board-bytes", "/board", "GET", {200}),
                ("ref-insert", "/insert", "POST", {201}),
            )
            if set(names) - {"fanout"}
            else ()
        )
        for name, path, method, expected in http_references:
            step = _request(method, f"{server.base}{path}")
            rows[name] = await _measure(step, expected, args, server.workers, dsn)
            rows[name]["statements"] = 1 if name == "ref-insert" else 0
            _print_row(name, rows[name])
    if {"create", "move"} & set(names):
        rows.update(await _crud(url, args))
    board_file.unlink()
    sample.unlink()

    commit = _git("rev-parse", "--short", "HEAD") or "unknown"
    now = dt.datetime.now(dt.UTC)
    command = "python -m bench" + (" --quick" if args.quick else "")
    result_doc = {
        "meta": {
            "commit": commit,
            "date": now.strftime("%Y-%m-%d %H:%M UTC"),
            "command": command,
            "clients": args.clients,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "workers": args.workers,
            "cpus": os.cpu_count(),
            "postgres": (await _pg_version(dsn)),
            "dataset": (
                f"{size.users} users, {size.projects} projects, {size.big_tasks} tasks on the "
                f"big board, {size.labels} labels, ~{size.comments_per_task:g} comments per task,"
                " ANALYZE after seeding"
            ),
            "python": sys.version.split()[0],
        },
        "workloads": rows,
        "fanout": live,
        "soak": soaked,
        "ratios": report.ratios(rows),
        "budgets": statements.BUDGETS,
    }
    out = args.out or (
        Path(tempfile.mkdtemp(prefix="laneway-bench-"))
        if args.quick
        else ROOT / "bench" / "results"
    )
    stem = f"{now.strftime('%Y-%m-%d')}-{commit}" + ("-quick" if args.quick else "")
    paths = report.write(result_doc, out, stem)
    results = ROOT / "bench" / "results"
    baseline = args.baseline or results / ("QUICK.json" if args.quick else "LATEST.json")
    print()
    print(report.markdown(result_doc))
    regressed: list[gate.Finding] = []
    if baseline.exists():
        before = json.loads(baseline.read_text())
        print(report.compare(result_doc, before))
        # the relative figures' margins were measured for --quick; statements hold in any run
        found = gate.check(result_doc, before, relative=args.quick)
        print(f'Regression gate against {baseline.name} (bench/README.md "Regression gate"):')
        print()
        print(gate.table(found))
        # a new baseline being saved is the reviewed decision to accept what changed
        regressed = [] if args.save_quick else gate.regressions(found)
    if not args.quick and args.out is None:
        shutil.copyfile(paths["md"], out / "LATEST.md")
        shutil.copyfile(paths["json"], out / "LATEST.json")
        shutil.copyfile(paths["png"], out / "latest.png")
    if args.quick and args.save_quick:
        shutil.copyfile(paths["json"], results / "QUICK.json")
    print(f"wrote {', '.join(str(p) for p in paths.values())}")
    errors = sum(sum(row["errors"].values()) for row in rows.values())
    if soaked is not None:
        errors += sum(soaked["errors"].values())
    if live is not None:
        errors += fanout.failures(live["laneway"]) + fanout.failures(live["reference"])
    if errors:
        print(f"{errors} requests failed", file=sys.stderr)
    for name, (count, budget) in over.items():
        print(
            f"{name} sends {count} statements per request; its budget is {budget}", file=sys.stderr
        )
    if regressed:
        print(f"{len(regressed)} figures regressed against {baseline}:", file=sys.stderr)
        print(gate.table(regressed), file=sys.stderr)
    return 1 if errors or over or regressed else 0


async def _crud(url: str, args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """ref-crud's create and update (bench/reference_crud.py), each client with a user of its
    own and, for updates, an item of its own."""
    seeded = await reference_crud.prepare(url, args.clients)
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    rows: dict[str, dict[str, Any]] = {}
    with servers.running(*servers.reference_crud(url, args.workers)) as server:
        print(f"ref-crud on {server.base}", flush=True)
        for name, step, expected in (
            ("ref-crud-create", reference_crud.create_step(server.base, seeded), {201}),
            ("ref-crud-update", reference_crud.update_step(server.base, seeded), {200}),
        ):
            rows[name] = await _measure(step, expected, args, server.workers, dsn)
            rows[name]["statements"] = reference_crud.STATEMENTS[name]
            _print_row(name, rows[name])
    return rows


async def _fanout(
    target: fanout.Target, args: argparse.Namespace, rates: list[float]
) -> dict[str, Any]:
    seconds = 1.0 if args.quick else args.duration / 2
    print(f"  {target.name}: {args.viewers} viewers, {seconds:g} s per rate", flush=True)
    return await fanout.ramp(target, viewers=args.viewers, rates=rates, seconds=seconds)


async def _pg_version(dsn: str) -> str:
    connection = await asyncpg.connect(dsn)
    try:
        return str(await connection.fetchval("SHOW server_version")).split()[0]
    finally:
        await connection.close()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
