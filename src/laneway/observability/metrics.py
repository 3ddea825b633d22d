"""Prometheus metrics, shared by uvicorn's worker processes.

`laneway serve` points prometheus-client at a directory of its own (multiprocess mode), so the
numbers every worker writes add up in one answer, whichever process answers `/metrics`. Every
request is counted (one counter and two histograms); what a process holds (pool, sockets,
memory, event-loop lag, cache tallies) is sampled every few seconds by `Sampler`, off the
request path. A request's numbers are added up in plain numbers first and written to the
metrics in one go at each sampler tick (a quarter second), before each exposition and at the
process's end: in multiprocess mode every increment is a locked write to a shared file (and a
getpid() call), and the five a request made cost more than the cached board answer itself.
"""

from __future__ import annotations

import asyncio
import gc
import math
import os
import time
from bisect import bisect_left
from collections.abc import Callable
from contextvars import ContextVar
from pathlib import Path
from typing import Generic, TypeVar

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from starlette.types import Scope

from laneway import __version__
from laneway.observability.job_metrics import JobMetrics

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Routes nobody declared (scanners, typos) share one label, so they cannot grow the series
UNMATCHED = "<unmatched>"

DURATION_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
STATEMENT_BUCKETS = (0, 1, 2, 3, 4, 5, 6, 8, 10, 15, 25, 50)

# Set by what answers a request before routing (the board's fast path)
ROUTE_KEY = "laneway.route"
# Statements this request ran, counted by the engine's cursor hook (db.py)
statements: ContextVar[list[int] | None] = ContextVar("laneway_statements", default=None)


def use_multiprocess(directory: Path) -> None:
    """Make every metric created from now on (here and in worker processes started after
    this) write to `directory`, emptied first: numbers of an earlier run must not add up."""
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    os.environ[MULTIPROCESS_ENV] = str(directory)
    # prometheus-client picks the value store when it is first imported, which here happened
    # before the command line was read; workers spawned later import it afresh.
    values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]


def multiprocess_registry() -> CollectorRegistry:
    """Every process's numbers, read from the shared directory at each scrape."""
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


def process_exited() -> None:
    """Drop this process's live gauges (sockets, pool in use) from the shared numbers."""
    if os.environ.get(MULTIPROCESS_ENV):
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


class Metrics:
    """Every metric one process reports, in a registry of its own (so several apps in one
    process, as in tests, never collide)."""

    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry(auto_describe=False)
        http = ["method", "route", "status"]
        self.requests = Counter(
            "laneway_http_requests", "HTTP requests answered", http, registry=registry
        )
        self.duration = Histogram(
            "laneway_http_request_duration_seconds",
            "Time from the request's arrival to its response's last byte",
            http,
            buckets=DURATION_BUCKETS,
            registry=registry,
        )
        self.statements = Histogram(
            "laneway_db_statements_per_request",
            "SQL statements one HTTP request ran",
            ["route"],
            buckets=STATEMENT_BUCKETS,
            registry=registry,
        )
        self.pool_size = Gauge(
            "laneway_db_pool_size",
            "Pooled connections kept open",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.pool_in_use = Gauge(
            "laneway_db_pool_in_use",
            "Connections checked out of the pool",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.pool_overflow = Gauge(
            "laneway_db_pool_overflow",
            "Connections open beyond the pool's size",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.pool_waits = Counter(
            "laneway_db_pool_waits",
            "Checkouts that found every connection in use and waited",
            registry=registry,
        )
        self.pool_wait_seconds = Counter(
            "laneway_db_pool_wait_seconds",
            "Time spent waiting for a connection",
            registry=registry,
        )
        self.cache = Counter(
            "laneway_cache_requests", "Cache lookups", ["cache", "result"], registry=registry
        )
        self.rate_limited = Counter(
            "laneway_rate_limit_rejections",
            "Requests refused by a rate limit",
            ["limit"],
            registry=registry,
        )
        self.live_sockets = Gauge(
            "laneway_live_sockets",
            "Open live sockets",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.live_sent = Counter(
            "laneway_live_events_sent", "Events handed to live viewers", registry=registry
        )
        self.live_sent_at_once = Counter(
            "laneway_live_events_sent_at_once",
            "Of the events handed to live viewers, those written straight to an idle socket "
            "(or found sent already) rather than through the viewer's queue",
            registry=registry,
        )
        self.live_dropped = Counter(
            "laneway_live_events_dropped",
            "Viewers disconnected for falling behind (they resume from the event log)",
            registry=registry,
        )
        self.redis_up = Gauge(
            "laneway_redis_up",
            "1 while this process's live fan-out is subscribed to Redis (only with Redis set)",
            registry=registry,
            multiprocess_mode="livemin",
        )
        self.redis_circuit_open = Gauge(
            "laneway_redis_circuit_open",
            "1 while this process's Redis circuit breaker is open (limits, fan-out run locally)",
            registry=registry,
            multiprocess_mode="livemax",
        )
        self.redis_circuit_opened = Counter(
            "laneway_redis_circuit_opened",
            "Times the Redis circuit breaker opened",
            registry=registry,
        )
        self.jobs = JobMetrics(registry)
        self.rss = Gauge(
            "laneway_process_resident_memory_bytes",
            "Resident memory of each process",
            registry=registry,
            multiprocess_mode="liveall",
        )
        self.loop_lag = Gauge(
            "laneway_event_loop_lag_seconds",
            "How late the event loop ran a timer, the worst over the last sample",
            registry=registry,
            multiprocess_mode="livemax",
        )
        self.gc_collections = Counter(
            "laneway_gc_collections",
            "Garbage collector runs",
            ["generation"],
            registry=registry,
        )
        self.sqlite_bytes = Gauge(
            "laneway_sqlite_database_bytes",
            "Size of the SQLite file and its write-ahead log",
            registry=registry,
            multiprocess_mode="livemax",
        )
        self.data_dir_free = Gauge(
            "laneway_data_dir_free_bytes",
            "Free space where the data directory is",
            registry=registry,
            multiprocess_mode="livemin",
        )
        self.build_info = Gauge(
            "laneway_build_info",
            "The running version",
            ["version"],
            registry=registry,
            multiprocess_mode="max",
        )
        self.build_info.labels(__version__).set(1)
        # children by label values: `labels()` costs more than the increment itself
        self._request_children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
        self._statement_children: dict[str, Histogram] = {}
        # requests counted but not yet written (`flush`), by the same keys
        self._requests = _Observations[tuple[str, str, int]](DURATION_BUCKETS)
        self._statements = _Observations[str](STATEMENT_BUCKETS)

    def request(self, method: str, route: str, status: int, seconds: float) -> None:
        """One answered request: counted, and its duration observed, at the next `flush`."""
        self._requests.observe((method, route, status), seconds)

    def request_statements(self, route: str, count: int) -> None:
        self._statements.observe(route, count)

    def flush(self) -> None:
        """Writes the requests counted since the last flush to the metrics."""
        for (method, route, status), tally in self._requests.take().items():
            children = self._request_children.get((method, route, status))
            if children is None:
                labels = (method, route, str(status))
                children = (self.requests.labels(*labels), self.duration.labels(*labels))
                self._request_children[(method, route, status)] = children
            children[0].inc(tally.count)
            tally.add_to(children[1])
        for route, tally in self._statements.take().items():
            child = self._statement_children.get(route)
            if child is None:
                child = self._statement_children[route] = self.statements.labels(route)
            tally.add_to(child)

    def exposition(self) -> bytes:
        """The text Prometheus scrapes: every worker's numbers when they share a directory."""
        self.flush()
        shared = os.environ.get(MULTIPROCESS_ENV)
        return generate_latest(multiprocess_registry() if shared else self.registry)


_Key = TypeVar("_Key")


class _Tally:
    """Observations of one histogram child: how many, their sum, how many in each bucket."""

    __slots__ = ("buckets", "count", "total")

    def __init__(self, buckets: int) -> None:
        self.count, self.total, self.buckets = 0, 0.0, [0] * buckets

    def add_to(self, histogram: Histogram) -> None:
        """As many `observe()` calls as were made here, in one write per bucket that moved.
        prometheus-client has no call for many observations: this is `observe()`'s own
        bookkeeping (its sum and per-bucket values; the count is their total), which
        tests/observability/test_metrics.py checks against `observe()` itself."""
        histogram._sum.inc(self.total)
        for bucket, hits in zip(histogram._buckets, self.buckets, strict=True):
            if hits:
                bucket.inc(hits)


class _Observations(Generic[_Key]):
    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = (*bounds, math.inf)
        self._tallies: dict[_Key, _Tally] = {}

    def observe(self, key: _Key, value: float) -> None:
        tally = self._tallies.get(key)
        if tally is None:
            tally = self._tallies[key] = _Tally(len(self.bounds))
        tally.count += 1
        tally.total += value
        # the first bucket whose bound is at least the value, as observe() picks it
        tally.buckets[bisect_left(self.bounds, value)] += 1

    def take(self) -> dict[_Key, _Tally]:
        taken, self._tallies = self._tallies, {}
        return taken


class Deltas:
    """Turns running totals kept elsewhere (plain integers on the hot path) into counter
    increments; a total that went down (its owner was rebuilt) counts from zero again."""

    def __init__(self) -> None:
        self._last: dict[object, float] = {}

    def add(self, key: object, total: float, counter: Counter) -> None:
        last = self._last.get(key, 0.0)
        delta = total - last if total >= last else total
        if delta > 0:
            counter.inc(delta)
        self._last[key] = total


class Sampler:
    """Every `interval` seconds, copies what this process holds into its metrics: its memory,
    collections and event-loop lag (the sleep's overshoot) here, what the app holds (pool,
    sockets, caches, jobs) by `collect`."""

    def __init__(
        self, metrics: Metrics, interval: float, collect: Callable[[Metrics, Deltas], None]
    ) -> None:
        self.metrics, self.interval, self.collect = metrics, interval, collect
        self._deltas = Deltas()
        self._task: asyncio.Task[None] | None = None
        self._page = os.sysconf("SC_PAGE_SIZE")

    def start(self) -> None:
        self.sample(0.0)
        self._task = asyncio.create_task(self._run(), name="metrics-sampler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self.metrics.flush()  # the last requests count too
            process_exited()

    async def _run(self) -> None:
        # the worst lag over a sample, from short sleeps: one long sleep would see one timer
        tick = min(0.25, self.interval)
        while True:
            worst, until = 0.0, time.monotonic() + self.interval
            while time.monotonic() < until:
                expected = time.monotonic() + tick
                await asyncio.sleep(tick)
                worst = max(worst, time.monotonic() - expected)
                self.metrics.flush()
            self.sample(worst)

    def sample(self, lag: float) -> None:
        m, deltas = self.metrics, self._deltas
        m.loop_lag.set(lag)
        self.collect(m, deltas)
        m.rss.set(self._rss())
        for generation, stats in enumerate(gc.get_stats()):
            collections = m.gc_collections.labels(str(generation))
            deltas.add(("gc", generation), stats["collections"], collections)

    def _rss(self) -> int:
        try:
            with open("/proc/self/statm", "rb") as statm:
                return int(statm.read().split()[1]) * self._page
        except OSError:  # not Linux: the peak is the best the standard library knows
            import resource

            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def file_sizes(database: Path) -> int:
    """An SQLite database's bytes on disk, its write-ahead log included."""
    total = 0
    for path in (database, database.with_name(database.name + "-wal")):
        try:
            total += path.stat().st_size
        except FileNotFoundError:
            continue
    return total


def route_of(scope: Scope, prefixed: dict[int, str]) -> str:
    """The route template a request matched (`/api/v1/tasks/{task_id}`), never its path.

    FastAPI hands on the route as its router declared it, without the prefix the router was
    included under: `prefixed` has the full template of each such route, by the route's id."""
    route = scope.get("route")
    if route is not None:
        template = prefixed.get(id(route))
        if template is not None:
            return template
        path = getattr(route, "path", None)
        if isinstance(path, str):
            return path
    answered_before_routing = scope.get(ROUTE_KEY)
    return answered_before_routing if isinstance(answered_before_routing, str) else UNMATCHED
