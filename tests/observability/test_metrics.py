"""`/metrics`: absent unless configured, behind its token on the main port, and across
uvicorn's workers one set of numbers that moves exactly as much as the traffic did."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from prometheus_client.parser import text_string_to_metric_families

from deploy.local.services import RedisServer
from laneway import __version__
from laneway.app import create_app
from laneway.config import MetricsSettings, RateLimitSettings, RedisSettings
from laneway.observability.metrics import Metrics
from laneway.realtime.client import follow
from tests.conftest import make_settings
from tests.realtime.conftest import start_server, stop_server
from tests.support import API, Api, StatementCounter
from tests.test_cli import _free_port

TOKEN = "metrics-token-for-tests-0123456789"
TASKS = "/api/v1/projects/{project_id}/tasks"
BOARD = "/api/v1/projects/{project_id}/board"


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample by name and labels, summed over worker processes (pid labels dropped)."""
    found: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = frozenset((k, v) for k, v in sample.labels.items() if k != "pid")
            key = (sample.name, labels)
            found[key] = found.get(key, 0.0) + sample.value
    return found


def value(
    found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


def test_requests_counted_in_one_go_read_as_counted_one_by_one() -> None:
    """Requests are added up first and written at a flush: the numbers must be exactly those
    that one increment and one observe() per request give, every bucket edge included."""
    batched, direct = Metrics(), Metrics()
    answers = [
        ("GET", "/a", 200, 0.0, 0),
        ("GET", "/a", 200, 0.001, 1),  # on a bound: counted in that bucket, as observe() does
        ("GET", "/a", 200, 0.0011, 1),
        ("GET", "/a", 304, 0.3, 50),
        ("POST", "/b", 201, 10.0, 51),
        ("POST", "/b", 201, 11.5, 3),  # past the last bound: +Inf only
    ]
    for method, route, status, seconds, statements in answers:
        batched.request(method, route, status, seconds)
        batched.request_statements(route, statements)
        labels = (method, route, str(status))
        direct.requests.labels(*labels).inc()
        direct.duration.labels(*labels).observe(seconds)
        direct.statements.labels(route).observe(statements)

    def numbers(metrics: Metrics) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
        found = samples(metrics.exposition().decode())
        return {key: number for key, number in found.items() if not key[0].endswith("_created")}

    counted = numbers(batched)
    assert counted == numbers(direct)
    get_a = {"method": "GET", "route": "/a", "status": "200"}
    assert value(counted, "laneway_http_requests_total", **get_a) == 3
    assert value(counted, "laneway_http_request_duration_seconds_bucket", le="0.001", **get_a) == 2
    assert numbers(batched) == counted  # a flush with nothing new changes nothing


async def test_no_metrics_route_unless_configured(api: Api) -> None:
    assert (await api.client.get("/metrics")).status_code == 404


async def test_main_port_metrics_need_the_token(database_url: str, tmp_path: Path) -> None:
    settings = make_settings(database_url, tmp_path, metrics=MetricsSettings(token=TOKEN))
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
                refused = await client.get("/metrics", headers=headers)
                assert refused.status_code == 401
                assert "laneway_" not in refused.text
            api = Api(client)
            owner = await api.user()
            project = await api.project(owner)
            await api.task(owner, project["id"], title="first: reads what later ones find cached")
            scrape = {"Authorization": f"Bearer {TOKEN}"}
            first = await client.get("/metrics", headers=scrape)
            with StatementCounter(app.state.laneway.database.engine) as counter:
                for number in range(3):
                    await api.task(owner, project["id"], title=f"t{number}")
            scraped = await client.get("/metrics", headers=scrape)
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    before, after = samples(first.text), samples(scraped.text)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    created = {"method": "POST", "route": TASKS, "status": "201"}
    assert moved("laneway_http_requests_total", **created) == 3
    assert moved("laneway_http_request_duration_seconds_count", **created) == 3
    # the statements the creates ran, as the driver saw them
    assert moved("laneway_db_statements_per_request_count", route=TASKS) == 3
    assert moved("laneway_db_statements_per_request_sum", route=TASKS) == counter.count > 0
    # the refused scrapes count too, under the route, never under their path
    refused_scrapes = {"method": "GET", "route": "/metrics", "status": "401"}
    assert value(after, "laneway_http_requests_total", **refused_scrapes) == 3


@pytest.fixture
def two_workers(database_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """`laneway serve --workers 2` with a metrics port; yields (base URL, metrics URL)."""
    if database_url.startswith("sqlite"):
        pytest.skip("one set of workers is enough: the PostgreSQL run covers it")
    metrics_port = _free_port()
    process, base = start_server(
        database_url,
        workers=2,
        LANEWAY_DATA_DIR=str(tmp_path),
        LANEWAY_METRICS_PORT=str(metrics_port),
        LANEWAY_METRICS_SAMPLE_SECONDS="0.2",
    )
    try:
        yield base, f"http://127.0.0.1:{metrics_port}/metrics"
    finally:
        stop_server(process, base)


@pytest.mark.system
async def test_counts_add_up_across_two_workers(two_workers: tuple[str, str]) -> None:
    base, metrics_url = two_workers
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        api = Api(http)
        owner = await api.user()
        project_id = (await api.project(owner))["id"]
        before = samples((await http.get(metrics_url)).text)

        viewer = asyncio.create_task(anext(follow(base, project_id, owner.token)))

        # new connections each time, so both workers take a share
        async def create(number: int) -> None:
            async with httpx.AsyncClient(base_url=base, timeout=30) as own:
                response = await own.post(
                    f"{API}/projects/{project_id}/tasks",
                    json={"title": f"task {number}"},
                    headers=owner.headers,
                )
                assert response.status_code == 201

        await asyncio.gather(*(create(number) for number in range(40)))
        for _ in range(10):
            board = await http.get(f"{API}/projects/{project_id}/board", headers=owner.headers)
            assert board.status_code == 200
        missing = await http.get(f"{API}/projects/999999/board", headers=owner.headers)
        assert missing.status_code == 404
        await asyncio.wait_for(viewer, 10)  # the socket is open and has had an event

        await asyncio.sleep(0.6)  # three samples of the gauges
        after = samples((await http.get(metrics_url)).text)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    created = {"method": "POST", "route": TASKS, "status": "201"}
    assert moved("laneway_http_requests_total", **created) == 40
    assert moved("laneway_http_request_duration_seconds_count", **created) == 40
    assert moved("laneway_http_requests_total", method="GET", route=BOARD, status="200") == 10
    assert moved("laneway_http_requests_total", method="GET", route=BOARD, status="404") == 1
    assert moved("laneway_db_statements_per_request_count", route=TASKS) == 40
    assert moved("laneway_live_events_sent_total") >= 1
    # both workers answered and report their memory; the pool is open in each
    resident = next(
        family
        for family in text_string_to_metric_families(await _get(metrics_url))
        if family.name == "laneway_process_resident_memory_bytes"
    )
    assert len({sample.labels["pid"] for sample in resident.samples}) == 2
    assert all(sample.value > 10_000_000 for sample in resident.samples)
    assert value(after, "laneway_db_pool_size") > 0
    assert value(after, "laneway_build_info", version=__version__) == 1


async def _get(url: str) -> str:
    async with httpx.AsyncClient(timeout=10) as http:
        return (await http.get(url)).text


async def test_the_redis_breaker_and_the_tier_rejections_are_scraped(
    database_url: str, tmp_path: Path, redis_server: RedisServer
) -> None:
    settings = make_settings(
        database_url,
        tmp_path,
        metrics=MetricsSettings(token=TOKEN, sample_seconds=0.1),
        redis=RedisSettings(url=redis_server.url, prefix="scraped", breaker_open_seconds=60),
        rate_limit=RateLimitSettings(anonymous="2/minute"),
    )
    app = create_app(settings)
    scrape = {"Authorization": f"Bearer {TOKEN}"}
    async with LifespanManager(app):
        link = app.state.laneway.redis_link
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            statuses = [(await client.get(f"{API}/projects")).status_code for _ in range(3)]
            assert statuses == [401, 401, 429]
            redis_server.kill()
            while not link.is_open:  # each readiness probe is one failed call
                await client.get("/health/ready")
            ready = (await client.get("/health/ready")).json()
            assert ready["checks"]["redis"]["error"] == "circuit open"
            await asyncio.sleep(0.3)  # a few samples
            found = samples((await client.get("/metrics", headers=scrape)).text)
    assert value(found, "laneway_rate_limit_rejections_total", limit="anonymous") == 1
    assert value(found, "laneway_redis_circuit_open") == 1
    assert value(found, "laneway_redis_circuit_opened_total") == 1
