"""Where one request's time goes: pyinstrument over N in-process requests on the bench database.

    python -m bench --seed-only                      # once: the bench database
                                                     # (LANEWAY_BENCH_DATABASE names it)
    python -m bench.profile_request /api/v1/projects/1/board
    python -m bench.profile_request /api/v1/projects/1/board --if-none-match
    python -m bench.profile_request /api/v1/projects/1/tasks --json '{"title": "t"}'
    python -m bench.profile_request /api/v1/tasks/7/move --json '{"status_id": 2}' --if-match
    python -m bench.profile_request /api/v1/projects/1/board --if-none-match --cpu [--metrics]

Needs `pip install pyinstrument`. Runs the app in this process (no HTTP server), so it shows
Laneway's own cost per request: dependencies, queries, serialization. `--cpu` skips the
profiler and reports this process's CPU time per request (steadier than throughput on a shared
machine); `--metrics` turns the Prometheus metrics on, written to files as under
`laneway serve` (multiprocess mode), to see what they cost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from asgi_lifespan import LifespanManager
from pyinstrument import Profiler

from bench.dataset import bench_settings, database_name
from laneway.app import create_app
from laneway.auth import service
from laneway.config import MetricsSettings
from laneway.models import TokenKind, User
from laneway.observability import metrics

DEFAULT_URL = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{database_name()}"


async def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_request")
    parser.add_argument("path")
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--if-none-match", action="store_true")
    parser.add_argument("--json", help="send this body: POST, or PATCH with --method")
    parser.add_argument("--method", default=None)
    parser.add_argument("--all", action="store_true", help="show library frames too")
    parser.add_argument("--cpu", action="store_true", help="CPU time per request, no profiler")
    parser.add_argument("--metrics", action="store_true", help="with Prometheus metrics on")
    parser.add_argument(
        "--if-match", action="store_true", help="send the ETag of the previous response"
    )
    args = parser.parse_args()
    body = json.loads(args.json) if args.json is not None else None
    method = args.method or ("POST" if body is not None else "GET")
    settings = bench_settings(args.url)
    if args.metrics:
        metrics.use_multiprocess(Path(tempfile.mkdtemp(prefix="laneway-profile-metrics-")))
        settings.metrics = MetricsSettings(token="profile-metrics-token-0123456789")
    app = create_app(settings)
    async with LifespanManager(app):
        state = app.state.laneway
        async with state.database.transaction() as session:
            user = (await session.scalars(sa.select(User).order_by(User.id).limit(1))).one()
            _, token = await service.issue_token(
                session, user, kind=TokenKind.personal, name="profile", expires_at=None
            )
        headers = {"Authorization": f"Bearer {token}"}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://profile") as client:
            extra: dict[str, Any] = {} if body is None else {"json": body}
            if args.if_match:  # the task's current version, then each response's
                task = await client.get(args.path.removesuffix("/move"), headers=headers)
                headers["If-Match"] = task.headers["etag"]

            async def send() -> httpx.Response:
                response = await client.request(method, args.path, headers=headers, **extra)
                if args.if_match:
                    headers["If-Match"] = response.headers["etag"]
                return response

            first = await send()
            if args.if_none_match:
                headers["If-None-Match"] = first.headers["etag"]
            for _ in range(20):
                await send()
            profiler = None if args.cpu else Profiler(interval=0.0005)
            if profiler is not None:
                profiler.start()
            started, cpu = time.perf_counter(), time.process_time()
            for _ in range(args.requests):
                response = await send()
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            if profiler is not None:
                profiler.stop()
    per = args.requests / 1000
    print(
        f"{response.status_code}: {elapsed / per:.3f} ms per request, {cpu / per:.3f} ms CPU "
        f"(in-process{', metrics on' if args.metrics else ''})"
    )
    if profiler is not None:
        print(profiler.output_text(unicode=False, color=False, show_all=args.all))


if __name__ == "__main__":
    asyncio.run(main())
