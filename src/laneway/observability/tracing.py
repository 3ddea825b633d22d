"""OpenTelemetry traces: FastAPI's own spans for HTTP requests and live sockets, plus SQL,
Redis and outbound HTTP, exported over OTLP.

Off unless an OTLP endpoint is configured (OpenTelemetry's own variables); then the `tracing`
extra must be installed. Probes and scrapes are never traced: they would drown the rest.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Any

from fastapi.telemetry import TelemetryConfig
from opentelemetry import trace

from laneway.config import TracingSettings

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from sqlalchemy.ext.asyncio import AsyncEngine

_UNTRACED = ("/health/", "/metrics")


def provider_from(settings: TracingSettings) -> TracerProvider | None:
    if settings.endpoint is None:
        return None
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
    except ImportError as missing:
        raise RuntimeError(
            "an OTLP endpoint is set but tracing is not installed: pip install 'laneway[tracing]'"
        ) from missing
    provider = TracerProvider(
        resource=Resource.create({"service.name": settings.service_name}),
        sampler=ParentBased(TraceIdRatioBased(settings.sample_ratio)),
    )
    # the exporter reads the endpoint, headers and protocol from OpenTelemetry's variables
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider


def _untraced(scope: MutableMapping[str, Any]) -> bool:
    return str(scope.get("path", "")).startswith(_UNTRACED)


def fastapi_config(provider: TracerProvider | None) -> TelemetryConfig:
    """FastAPI's telemetry: our spans when tracing is on; never its metrics or logs (ours are
    Prometheus and structlog; its logs would carry request bodies, passwords included)."""
    if provider is None:
        return {"tracing": False, "metrics": False, "logs": False, "auto_configure": False}
    return {
        "tracer_provider": provider,
        "metrics": False,
        "logs": False,
        "auto_configure": False,
        "exclude": _untraced,
    }


def _instrumentors() -> list[Any]:
    from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    return [SQLAlchemyInstrumentor(), RedisInstrumentor(), AioHttpClientInstrumentor()]


def uninstrument() -> None:
    """Undo `instrument` (at shutdown): nothing keeps sending spans to a closed provider."""
    for instrumentor in _instrumentors():
        if instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.uninstrument()


def instrument(provider: TracerProvider, engine: AsyncEngine) -> None:
    # Each instrumentor is one per process: a second app in the process (tests) takes it over
    # with its own engine and provider. Redis and aiohttp are patched for every client.
    sqlalchemy, *others = _instrumentors()
    uninstrument()
    # Its declared range stops short of SQLAlchemy 2.1, whose engine events it uses are
    # unchanged (tests/observability/test_tracing.py sees its spans)
    sqlalchemy.instrument(tracer_provider=provider, engine=engine.sync_engine, skip_dep_check=True)
    for instrumentor in others:
        instrumentor.instrument(tracer_provider=provider)


def add_trace_ids(
    _logger: object, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: the current span's ids, so a log line leads to its trace."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event.setdefault("trace_id", format(context.trace_id, "032x"))
        event.setdefault("span_id", format(context.span_id, "016x"))
    return event
