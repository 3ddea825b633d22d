"""`laneway worker`: the background process. It runs the jobs all along (webhook deliveries,
exports and imports, as the serving process does on the embedded default), and every interval
runs each housekeeping job and logs one line with what each deleted; with LANEWAY_SMTP_URL set
it also sends the notification emails (mail/mailer.py). SIGTERM or SIGINT stops it
after the batch in progress, letting deliveries in flight finish and handing unfinished
transfers back to the queue. Several may run at once (see housekeeping.py, webhooks/runner.py
and transfer/jobs.py). The runners are the serving process's (runners.py), with two
differences: no request of this process commits events, so they poll, and whom the notifier
notified is told only to the other processes (through Redis, when configured)."""

from __future__ import annotations

import asyncio
import signal
from contextlib import suppress

import structlog
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    ProcessCollector,
    start_http_server,
)

from laneway import __version__
from laneway.config import MetricsSettings, Settings
from laneway.db import Database
from laneway.instance_keys import InstanceKeys
from laneway.jobs import housekeeping
from laneway.jobs.runners import Runners
from laneway.observability.job_metrics import JobMetrics
from laneway.observability.logging import configure_logging
from laneway.outbound.client import Outbound
from laneway.realtime.fanout import NotifiedAnnouncer
from laneway.redis_link import RedisLink

log = structlog.get_logger("laneway.worker")


class WorkerMetrics:
    """What the worker did, on `LANEWAY_METRICS_PORT` when set (a process of its own: no
    shared directory, the process collector reports its memory and CPU)."""

    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        ProcessCollector(registry=registry)
        self.deleted = Counter(
            "laneway_housekeeping_deleted", "Rows housekeeping deleted", ["kind"], registry=registry
        )
        self.runs = Counter(
            "laneway_housekeeping_runs", "Housekeeping runs", ["outcome"], registry=registry
        )
        # both series from the start: an alert on increase() would miss the first failure
        for outcome in ("ok", "failed"):
            self.runs.labels(outcome)
        for kind in housekeeping.JOBS:
            self.deleted.labels(kind)
        self.last_success = Gauge(
            "laneway_housekeeping_last_success_timestamp_seconds",
            "When a housekeeping run last finished without a failed job",
            registry=registry,
        )
        Gauge("laneway_build_info", "The running version", ["version"], registry=registry).labels(
            __version__
        ).set(1)
        self.jobs = JobMetrics(registry)

    def serve(self, port: int, host: str) -> None:
        start_http_server(port, addr=host, registry=self.registry)

    def ran(self, deleted: dict[str, int], ok: bool) -> None:
        for job, count in deleted.items():
            self.deleted.labels(job).inc(count)
        self.runs.labels("ok" if ok else "failed").inc()
        if ok:
            self.last_success.set_to_current_time()


async def _sample(metrics: WorkerMetrics, runners: Runners, config: MetricsSettings) -> None:
    while True:
        metrics.jobs.sample(runners.webhooks, runners.transfers, runners.notifier, runners.mailer)
        await asyncio.sleep(config.sample_seconds)


async def work(settings: Settings, *, once: bool = False, interval: float | None = None) -> int:
    """Run until SIGTERM/SIGINT (or once); the process's exit code."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    every = interval or settings.worker.interval_seconds
    database = Database(settings)
    metrics = None
    if settings.metrics.port is not None and not once:
        metrics = WorkerMetrics()
        metrics.serve(settings.metrics.port, settings.metrics.host or settings.http.host)
    # the jobs too, unless this is a one-off housekeeping run
    outbound = Outbound(settings.webhook)
    link = None if once else RedisLink.configured(settings.redis)
    announce = None if link is None else NotifiedAnnouncer(link, settings.redis.prefix)
    keys = InstanceKeys(settings.secret_key)  # the emails' unsubscribe links are signed
    runners = None
    if not once:
        runners = Runners.build(settings, database, outbound, keys, on_notified=announce)
    sampling = None
    if runners is not None:
        if runners.mailer is not None:
            await keys.load(database)
        runners.start()
        if metrics is not None:
            sampling = asyncio.create_task(_sample(metrics, runners, settings.metrics))
    log.info("worker started", interval_seconds=every, once=once)
    try:
        while True:
            ok = await housekeeping.run_all(
                database, settings, stop, None if metrics is None else metrics.ran
            )
            if once:
                return 0 if ok else 1
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)
            if stop.is_set():
                return 0
    finally:
        if sampling is not None:
            sampling.cancel()
        if runners is not None:
            await runners.stop()
        if link is not None:
            await link.close()
        keys.close()
        await outbound.close()
        await database.dispose()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
        log.info("worker stopped")


def main(*, once: bool = False, interval: float | None = None) -> int:
    settings = Settings()
    configure_logging(settings.log)
    return asyncio.run(work(settings, once=once, interval=interval))
