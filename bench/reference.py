"""Reference servers for the same load driver: the ceilings Laneway is compared against.

- small: a bare Starlette endpoint returning a small JSON document (HTTP + framework floor)
- board-bytes: the same bytes as Laneway's board response (HTTP + payload ceiling)
- insert: a bare asyncpg endpoint doing one INSERT (the write ceiling)
- live: a bare WebSocket broadcast of Laneway's event messages (bench/reference_live.py), when
  BENCH_LIVE_TEMPLATE names a captured message
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bench.reference_live import Broadcast


def create_app() -> Starlette:
    board_bytes = Path(os.environ["BENCH_BOARD_FILE"]).read_bytes()
    dsn = os.environ["BENCH_ASYNCPG_DSN"]
    pool: asyncpg.Pool | None = None
    template = os.environ.get("BENCH_LIVE_TEMPLATE")
    live = (
        Broadcast(Path(template), os.environ["BENCH_REDIS_URL"], os.environ["BENCH_LIVE_CHANNEL"])
        if template
        else None
    )

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        nonlocal pool
        pool = await asyncpg.create_pool(dsn, min_size=4, max_size=16)
        if live is not None:
            await live.start()
        yield
        if live is not None:
            await live.stop()
        await pool.close()

    async def small(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "id": 42})

    async def board(_request: Request) -> Response:
        return Response(board_bytes, media_type="application/json")

    async def insert(_request: Request) -> JSONResponse:
        assert pool is not None
        row_id = await pool.fetchval(
            "INSERT INTO bench_reference (title) VALUES ($1) RETURNING id", "reference"
        )
        return JSONResponse({"id": row_id}, status_code=201)

    routes: list[BaseRoute] = [
        Route("/small", small),
        Route("/board", board),
        Route("/insert", insert, methods=["POST"]),
    ]
    return Starlette(routes=routes + (live.routes() if live else []), lifespan=lifespan)
