"""`laneway serve` (uvicorn, the shared metrics directory and port), `laneway worker` and
`laneway openapi`."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Annotated

import prometheus_client
import typer
import uvicorn

from laneway import __version__
from laneway.app import create_app
from laneway.cli.database import Refused, describe, refuse_missing
from laneway.cli.demo import say_demo, seed_with_progress
from laneway.cli.migrate import upgrade_database
from laneway.cli.port import cannot_listen
from laneway.cli.runner import console, fail, with_state
from laneway.config import Settings
from laneway.jobs.worker import main as run_worker
from laneway.observability import metrics
from laneway.state import AppState

WS_MAX_SIZE = 64 * 1024
GRACEFUL_SHUTDOWN_SECONDS = 10


def openapi() -> None:
    """Print the OpenAPI document (web/'s `npm run gen:api` makes TypeScript types of it)."""
    typer.echo(json.dumps(create_app().openapi(), indent=2))


def worker(
    once: Annotated[bool, typer.Option("--once", help="Run every job once, then exit.")] = False,
    interval: Annotated[
        float | None,
        typer.Option(
            min=0.1,
            help="Seconds between runs (default: LANEWAY_WORKER_INTERVAL_SECONDS, 300).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run the background worker: deletes expired tokens, live tickets, invitations and old
    idempotency keys every interval. Stops on SIGTERM or Ctrl-C after the batch in progress."""
    settings = Settings()
    try:
        refuse_missing(settings)
    except Refused as error:
        raise fail(str(error)) from None
    raise typer.Exit(run_worker(once=once, interval=interval))


def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to bind.")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    with_demo: Annotated[bool, typer.Option("--demo", help="Load demo data first.")] = False,
    migrate: Annotated[
        bool | None,
        typer.Option(
            "--migrate/--no-migrate",
            help="Apply migrations before starting (default: on for the embedded SQLite file).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run the API server."""
    settings = Settings()
    host = host or settings.http.host
    port = port or settings.http.port
    if migrate is None:
        migrate = settings.is_sqlite
    for address, number in _ports(settings, host, port):
        problem = cannot_listen(address, number)
        if problem is not None:
            raise fail(problem)
    metrics_dir = _share_metrics(settings, host)

    async def prepare(state: AppState) -> None:
        if migrate:
            before, after = await upgrade_database(state)
            if before != after:
                console.print(f"database migrated to revision {after}")
            if before is None and not with_demo:
                console.print("first start: add sample data with `laneway serve --demo`")
        if with_demo:
            say_demo(await seed_with_progress(state, 2000))

    with_state(prepare, creates=True, needs_current=False, settings=settings)
    url = settings.http.public_url or f"http://{host}:{port}"
    console.print(f"Laneway {__version__} on {describe(settings)}", soft_wrap=True, markup=False)
    console.print(f"open [bold]{url}[/bold]  (API docs: {url}/docs)")
    try:
        _run_uvicorn(host, port, workers)
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _ports(settings: Settings, host: str, port: int) -> list[tuple[str, int]]:
    """Where serve listens: its port, and the metrics port when one is set."""
    metrics_port = settings.metrics.port
    extra = [] if metrics_port is None else [(settings.metrics.host or host, metrics_port)]
    return [(host, port), *extra]


def _share_metrics(settings: Settings, host: str) -> Path | None:
    """With metrics on, every worker writes them to one directory (made here unless
    PROMETHEUS_MULTIPROC_DIR names one), and a metrics port is served from this process."""
    config = settings.metrics
    if config.port is None and config.token is None:
        return None
    given = os.environ.get(metrics.MULTIPROCESS_ENV)
    directory = Path(given) if given else Path(tempfile.mkdtemp(prefix="laneway-metrics-"))
    metrics.use_multiprocess(directory)
    if config.port is not None:
        registry = metrics.multiprocess_registry()
        address = config.host or host
        prometheus_client.start_http_server(config.port, addr=address, registry=registry)
        console.print(f"metrics on http://{address}:{config.port}/metrics")
    return None if given else directory


def _run_uvicorn(host: str, port: int, workers: int) -> None:
    uvicorn.run(
        "laneway.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        access_log=False,
        # the app believes forwarded headers only from LANEWAY_HTTP_TRUSTED_PROXIES (uvicorn's
        # own default would trust 127.0.0.1, and any local process could pose as any client)
        proxy_headers=False,
        # live viewers only listen: a client frame over this is refused before it is buffered
        ws_max_size=WS_MAX_SIZE,
        # Live messages are small and the same for every viewer: compressing them per socket
        # (permessage-deflate keeps a zlib context per connection) costs more CPU than the
        # write itself and ~300 KB of memory per viewer, to save a few hundred bytes.
        ws_per_message_deflate=False,
        # a stop never hangs on a connection that will not close (live sockets get 1012)
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )
