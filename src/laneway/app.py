"""create_app(): the ASGI application; its lifespan builds and disposes every resource."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import FastAPI
from starlette.routing import Route, WebSocketRoute
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from laneway import __version__, body_limits, exception_handlers, health, idempotency, stopping
from laneway.attachments.endpoints import router as attachments_router
from laneway.auth.endpoints import router as auth_router
from laneway.board.endpoints import router as board_router
from laneway.board.fast_path import BoardFastPath
from laneway.comments.endpoints import router as comments_router
from laneway.config import Settings
from laneway.feed.endpoints import router as activity_router
from laneway.kit.body_limit import BodyLimitMiddleware
from laneway.kit.openapi import add_schemas
from laneway.kit.security_headers import SecurityHeadersMiddleware
from laneway.labels.endpoints import router as labels_router
from laneway.mail.endpoints import router as mail_router
from laneway.notifications.endpoints import router as notifications_router
from laneway.observability import endpoint as metrics_endpoint
from laneway.observability import tracing
from laneway.observability.access_log import AccessLogMiddleware
from laneway.observability.logging import configure_logging
from laneway.projects.endpoints import router as projects_router
from laneway.rate_limits.middleware import RateLimitMiddleware
from laneway.realtime.direct import KeepRawSend
from laneway.realtime.endpoints import router as live_router
from laneway.realtime.schemas import LIVE_MESSAGE
from laneway.state import AppState
from laneway.statuses.endpoints import router as statuses_router
from laneway.tasks.endpoints import router as tasks_router
from laneway.tasks.my_work import router as my_work_router
from laneway.transfer.endpoints import router as transfers_router
from laneway.web import docs as web_docs
from laneway.web import routes as web_routes
from laneway.webhooks.endpoints import router as webhooks_router

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

API_PREFIX = "/api/v1"


def create_app(
    settings: Settings | None = None, *, tracer_provider: TracerProvider | None = None
) -> FastAPI:
    """The app; `tracer_provider` replaces the one the settings describe (tests use it)."""
    settings = settings or Settings()
    configure_logging(settings.log)
    own_provider = tracer_provider is None
    provider = tracing.provider_from(settings.tracing) if own_provider else tracer_provider

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = AppState.build(settings)
        app.state.laneway = state
        if provider is not None:
            tracing.instrument(provider, state.database.engine)
        await state.start()
        undo = stopping.when_stopping(state.waiters.stop)
        try:
            yield
        finally:
            undo()
            await state.close()
            if provider is not None:
                tracing.uninstrument()
                if own_provider:
                    provider.shutdown()  # sends the spans still queued

    app = FastAPI(
        title="Laneway",
        version=__version__,
        summary="Fast, self-hosted, real-time project and task tracker.",
        lifespan=lifespan,
        telemetry=tracing.fastapi_config(provider),
        # served from packaged assets by web_docs instead of FastAPI's CDN page; no ReDoc
        docs_url=None,
        redoc_url=None,
    )
    # Routes are matched in order, one by one: the board's and the tasks' come first, and each
    # router is included at the top level (a nested router is one more level to walk through).
    app.state.route_templates = {}
    for router in (
        board_router,
        tasks_router,
        projects_router,
        statuses_router,
        labels_router,
        comments_router,
        attachments_router,
        activity_router,
        auth_router,
        live_router,
        webhooks_router,
        transfers_router,
        notifications_router,
        my_work_router,
        mail_router,
    ):
        app.include_router(router, prefix=API_PREFIX)
        # the templates the metrics and logs show (routes do not carry the prefix)
        for route in router.routes:
            if isinstance(route, Route | WebSocketRoute):
                app.state.route_templates[id(route)] = API_PREFIX + route.path
    add_schemas(app, LIVE_MESSAGE)  # the live socket's messages, for generated clients
    app.include_router(health.router)
    metrics_endpoint.install(app, settings.metrics.token)
    web_routes.install(app)
    web_docs.install(app)
    exception_handlers.install(app)
    app.add_exception_handler(idempotency.ReplayNeeded, idempotency.replay_handler)

    # Outermost last: the request id exists before anything logs or fails, and every response
    # (a 413 from the body limit too) leaves with the security headers.
    app.add_middleware(BoardFastPath, prefix=API_PREFIX)
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.http.max_body_bytes,
        uploads=[(limit.path, limit.max_bytes) for limit in body_limits.uploads(settings)],
    )
    app.add_middleware(RateLimitMiddleware)
    app.add_middleware(AccessLogMiddleware)
    if settings.http.trusted_proxies.strip():
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.http.trusted_proxies)
    app.add_middleware(CorrelationIdMiddleware, header_name="X-Request-ID")
    app.add_middleware(SecurityHeadersMiddleware)
    # outermost of all: a live socket's scope keeps the server's own `send`, unwrapped
    app.add_middleware(KeepRawSend)
    return app
