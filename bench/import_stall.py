"""What a hostile import upload does to the server that runs it: `laneway serve` (one process,
the embedded SQLite default, jobs in process) is started fresh for each case; the upload is
queued, and /health/live is asked again and again, one request after another, until the import
has ended. The figures: /health/live's latency (p50 and the worst), the server's resident
memory before the upload and its peak (VmHWM) after, how long the import took to end and how.

    python -m bench.import_stall [--cases json,csv] [--source DIR] [--out DIR]

Cases: `json` a 64 MiB archive upload that is a list of `{}`; `csv` 8 MiB of newlines under a
header; `events` a 64 MiB archive of valid, minimal history events (about 900,000: the most a
well-formed upload can make a server validate). `--source` runs the server from another
checkout's `src` (for example main's, to compare). Prints a table and writes
bench/results/import-stall.json (or --out; `--label` names the file).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench import procstat, servers

ROOT = Path(__file__).resolve().parent.parent
API = "/api/v1"
PASSWORD = "bench-import-stall-1"  # noqa: S105 - a made-up account on a throwaway instance
MiB = 2**20
HEAD = {
    "format": "laneway.project",
    "version": 1,
    "project": {"key": "STALL", "name": "Stall"},
    "statuses": [{"ref": 1, "name": "Todo", "category": "unstarted", "position": 0}],
}


def hostile_json() -> bytes:
    size = 64 * MiB - 4096  # under the 64 MiB upload limit, with room for nothing else
    return b"[" + b"{}," * ((size - 4) // 3) + b"{}]"


def newline_csv() -> bytes:
    return b"Title\n" + b"\n" * (8 * MiB - 6)


def valid_events() -> bytes:
    event = b'{"seq":%d,"type":"comment.created","created_at":"2026-01-01T00:00:00Z"}'
    parts, size, seq = [], 0, 1
    while size < 64 * MiB - 8192:
        part = event % seq
        parts.append(part)
        size, seq = size + len(part) + 1, seq + 1
    return orjson.dumps(HEAD)[:-1] + b',"events":[' + b",".join(parts) + b"]}"


# each case: the file, and the path it is posted to ({pid}: a project of the user's)
CASES: dict[str, tuple[Callable[[], bytes], str, str]] = {
    "json": (hostile_json, "/imports", "application/json"),
    "csv": (newline_csv, "/projects/{pid}/imports?map=title=Title", "text/csv"),
    "events": (valid_events, "/imports", "application/json"),
}


async def _signed_in(client: httpx.AsyncClient) -> tuple[dict[str, str], int]:
    email = "bench@example.com"
    account = {"email": email, "password": PASSWORD, "name": "Bench"}
    (await client.post(f"{API}/auth/register", json=account)).raise_for_status()
    login = await client.post(f"{API}/auth/login", json={"email": email, "password": PASSWORD})
    headers = {"Authorization": f"Bearer {login.raise_for_status().json()['token']}"}
    project = await client.post(f"{API}/projects", json={"name": "Target"}, headers=headers)
    return headers, int(project.raise_for_status().json()["id"])


async def _case(base: str, pid_of_server: int, name: str) -> dict[str, Any]:
    make, path, media_type = CASES[name]
    body = make()
    async with httpx.AsyncClient(base_url=base, timeout=600) as client:
        headers, pid = await _signed_in(client)
        idle_mb = procstat.rss_mb(pid_of_server)
        queued = await client.post(
            API + path.format(pid=pid),
            content=body,
            headers=headers | {"Content-Type": media_type},
        )
        queued.raise_for_status()
        started = time.perf_counter()
        transfer = f"{API}/transfers/{queued.json()['id']}"
        latencies: list[float] = []
        state: dict[str, Any] = {}
        ended = asyncio.Event()

        async def follow() -> None:
            while True:
                state.update((await client.get(transfer, headers=headers)).json())
                if state["state"] in ("done", "failed"):
                    ended.set()
                    return
                await asyncio.sleep(0.2)

        follower = asyncio.create_task(follow())
        async with httpx.AsyncClient(base_url=base, timeout=600) as probe:
            while not ended.is_set():
                sent = time.perf_counter()
                (await probe.get("/health/live")).raise_for_status()
                latencies.append((time.perf_counter() - sent) * 1000)
        await follower
    return {
        "case": name,
        "upload_mib": round(len(body) / MiB, 1),
        "health_checks": len(latencies),
        "health_p50_ms": round(statistics.median(latencies), 1),
        "health_max_ms": round(max(latencies), 1),
        "rss_idle_mb": round(idle_mb),
        "rss_peak_mb": round(procstat.peak_rss_mb(pid_of_server)),
        "import_s": round(time.perf_counter() - started, 1),
        "outcome": state["state"],
        "message": (state.get("error") or "")[:100],
    }


def _run(name: str, source: Path | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="laneway-import-stall-") as data:
        command, env, ready, port = servers.laneway("", 1, metrics=False)
        command.remove("--no-migrate")
        env.pop("LANEWAY_DATABASE_URL")
        env.pop("LANEWAY_REDIS_URL")
        # a cheap password hash: its 64 MiB would otherwise be part of the peak measured
        env |= {"LANEWAY_DATA_DIR": data, "LANEWAY_AUTH_ARGON2_MEMORY_KIB": "8"}
        env["LANEWAY_AUTH_ARGON2_PARALLELISM"] = "1"
        if source is not None:
            env["PYTHONPATH"] = str(source)
        with servers.running(command, env, ready, port) as server:
            (worker,) = server.workers  # one process: it serves and runs the import
            return asyncio.run(_case(server.base, worker, name))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.import_stall")
    parser.add_argument("--cases", default="json,csv", help=f"of {', '.join(CASES)}")
    parser.add_argument("--source", type=Path, help="a checkout's src/ to run the server from")
    parser.add_argument("--label", default="import-stall")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    rows = [_run(name, args.source) for name in args.cases.split(",")]
    columns = ("case", "upload_mib", "health_checks", "health_p50_ms", "health_max_ms")
    columns += ("rss_idle_mb", "rss_peak_mb", "import_s", "outcome")
    print(" ".join(f"{c:>14}" for c in columns))
    for row in rows:
        print(" ".join(f"{row[c]!s:>14}" for c in columns) + f"  {row['message']}")
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / f"{args.label}.json"
    report = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "source": str(args.source or ROOT / "src"),
        "cases": rows,
    }
    target.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
