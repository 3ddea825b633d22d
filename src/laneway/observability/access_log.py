"""One JSON line per request, carrying the request id and whoever the request was for, and
the same request counted in the metrics (one timer serves both)."""

from __future__ import annotations

import logging
import time

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from laneway.observability import metrics
from laneway.observability.metrics import Metrics

log = structlog.get_logger("laneway.access")
# the logger structlog hands the line to: below its level the line is dropped anyway, so it is
# not built (every request would pay for a line nobody writes)
_stdlib_log = logging.getLogger("laneway.access")

# Probes and scrapes arrive every few seconds from machines: logged only at DEBUG
_QUIET_PREFIXES = ("/health/", "/metrics")


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        structlog.contextvars.clear_contextvars()
        started = time.perf_counter()
        status = 500
        statements = [0]
        counting = metrics.statements.set(statements)

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            metrics.statements.reset(counting)
            seconds = time.perf_counter() - started
            app_state = scope["app"].state
            route = metrics.route_of(scope, getattr(app_state, "route_templates", {}))
            state = getattr(app_state, "laneway", None)
            recorder: Metrics | None = getattr(state, "metrics", None)
            if recorder is not None:
                recorder.request(scope["method"], route, status, seconds)
                recorder.request_statements(route, statements[0])
            path: str = scope["path"]
            quiet = path.startswith(_QUIET_PREFIXES)
            if _stdlib_log.isEnabledFor(logging.DEBUG if quiet else logging.INFO):
                (log.debug if quiet else log.info)(
                    "request",
                    method=scope["method"],
                    path=path,
                    route=route,
                    status=status,
                    duration_ms=round(seconds * 1000, 2),
                    statements=statements[0],
                )
