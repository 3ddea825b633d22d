"""Where one request's time goes: pyinstrument over N in-process requests on the bench database.

    python -m bench --seed-only                      # once: the bench database
    python -m bench.profile_request /api/v1/projects/1/board
    python -m bench.profile_request /api/v1/projects/1/board --if-none-match

Needs `pip install pyinstrument`. Runs the app in this process (no HTTP server), so it shows
Laneway's own cost per request: dependencies, queries, serialization.
"""

from __future__ import annotations

import argparse
import asyncio
import time

import httpx
import sqlalchemy as sa
from asgi_lifespan import LifespanManager
from pyinstrument import Profiler

from bench.dataset import bench_settings
from laneway.app import create_app
from laneway.auth import service
from laneway.models import TokenKind, User

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/laneway_bench"


async def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_request")
    parser.add_argument("path")
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--if-none-match", action="store_true")
    args = parser.parse_args()
    app = create_app(bench_settings(args.url))
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
            first = await client.get(args.path, headers=headers)
            if args.if_none_match:
                headers["If-None-Match"] = first.headers["etag"]
            for _ in range(20):
                await client.get(args.path, headers=headers)
            profiler = Profiler(interval=0.0005)
            profiler.start()
            started = time.perf_counter()
            for _ in range(args.requests):
                response = await client.get(args.path, headers=headers)
            elapsed = time.perf_counter() - started
            profiler.stop()
    print(
        f"{response.status_code}: {elapsed / args.requests * 1000:.2f} ms per request (in-process)"
    )
    print(profiler.output_text(unicode=False, color=False))


if __name__ == "__main__":
    asyncio.run(main())
