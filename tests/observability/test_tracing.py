"""One request's trace holds its HTTP span, its SQL and its Redis calls, and the request's
log line carries the trace's id."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from laneway.app import create_app
from laneway.config import LogSettings, RedisSettings, TracingSettings
from laneway.observability import tracing
from tests.conftest import make_settings
from tests.support import API, PASSWORD, Api

REDIS_URL = "redis://127.0.0.1:6379/0"


async def test_a_login_traces_http_sql_and_redis(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    settings = make_settings(
        database_url,
        tmp_path,
        # the login limiter keeps its windows in Redis: a login's trace reaches it
        redis=RedisSettings(url=REDIS_URL, prefix=f"trace-{uuid.uuid4().hex[:8]}"),
        log=LogSettings(level="INFO"),
    )
    app = create_app(settings, tracer_provider=provider)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            user = await Api(client).user("traced")
            assert (await client.get("/health/ready")).status_code == 200
            exporter.clear()
            capsys.readouterr()
            login = await client.post(
                f"{API}/auth/login", json={"email": user.email, "password": PASSWORD}
            )
            assert login.status_code == 200
    spans = exporter.get_finished_spans()
    server = [s for s in spans if s.name == "POST /api/v1/auth/login"]
    assert len(server) == 1, [s.name for s in spans]
    trace_id = server[0].context.trace_id
    in_trace = [s for s in spans if s.context.trace_id == trace_id]
    systems = {
        s.attributes.get("db.system") or s.attributes.get("db.system.name") for s in in_trace
    }
    assert {"redis"} <= systems, [(s.name, dict(s.attributes or {})) for s in in_trace]
    assert systems & {"sqlite", "postgresql"}, [
        (s.name, s.context.trace_id == trace_id, dict(s.attributes or {})) for s in spans
    ]
    # every span of the request hangs under its server span
    ids = {s.context.span_id for s in in_trace}
    assert all(s.parent is None or s.parent.span_id in ids for s in in_trace)

    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    access = [line for line in lines if line.get("logger") == "laneway.access"]
    assert access[-1]["trace_id"] == format(trace_id, "032x")


async def test_off_by_default_and_health_untraced() -> None:
    assert tracing.provider_from(TracingSettings()) is None
    config = tracing.fastapi_config(TracerProvider())
    exclude = config["exclude"]
    assert exclude is not None
    assert exclude({"path": "/health/ready"})
    assert exclude({"path": "/metrics"})
    assert not exclude({"path": "/api/v1/projects"})
    assert tracing.fastapi_config(None)["tracing"] is False


def test_an_endpoint_turns_tracing_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    monkeypatch.setenv("OTEL_TRACES_SAMPLER_ARG", "0.25")
    settings = TracingSettings()
    assert settings.sample_ratio == 0.25
    provider = tracing.provider_from(settings)
    assert provider is not None
    assert "0.25" in provider.sampler.get_description()
    provider.shutdown()
