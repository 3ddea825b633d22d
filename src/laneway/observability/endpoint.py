"""`GET /metrics` on the main port, for a scraper that presents the configured bearer token.

Without `LANEWAY_METRICS_TOKEN` the route does not exist (404); a separate metrics port
(`LANEWAY_METRICS_PORT`) is served by `laneway serve` itself, outside the app.
"""

from __future__ import annotations

import hmac

from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from laneway.errors import Unauthorized
from laneway.observability.metrics import CONTENT_TYPE, Metrics


def install(app: FastAPI, token: str | None) -> None:
    if token is None:
        return
    expected = f"Bearer {token}".encode()

    @app.get("/metrics", include_in_schema=False)
    async def metrics_text(request: Request) -> Response:
        given = request.headers.get("authorization", "").encode("latin-1")
        if not hmac.compare_digest(given, expected):
            raise Unauthorized("Metrics need the configured bearer token.")
        metrics: Metrics = request.app.state.laneway.metrics
        # with several workers this reads every worker's file: off the event loop
        return Response(await run_in_threadpool(metrics.exposition), media_type=CONTENT_TYPE)
