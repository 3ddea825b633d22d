"""The `laneway` command: serve, worker, migrate, create-user, demo, backup, restore, export,
import, openapi."""

from __future__ import annotations

import asyncio
import getpass
import json
import os
import shutil
import tempfile
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import prometheus_client
import typer
import uvicorn
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from sqlalchemy.exc import DBAPIError

from laneway import __version__, migrations
from laneway.app import create_app
from laneway.auth import service as auth_service
from laneway.backup import dump, load
from laneway.backup.archive import ArchiveReader
from laneway.backup.verify import TableCheck
from laneway.backup.verify import verify as verify_archive
from laneway.config import Settings
from laneway.demo import DemoInfo
from laneway.errors import LanewayError
from laneway.observability import metrics
from laneway.state import AppState
from laneway.transfer import commands as transfer
from laneway.worker import main as run_worker

app = typer.Typer(
    help="Laneway: a fast, self-hosted, real-time task tracker.", no_args_is_help=True
)
migrate_app = typer.Typer(help="Apply or inspect database migrations.", no_args_is_help=True)
app.add_typer(migrate_app, name="migrate")
console = Console(stderr=True)
T = TypeVar("T")
WS_MAX_SIZE = 64 * 1024
GRACEFUL_SHUTDOWN_SECONDS = 10


def _version(value: bool) -> None:
    if value:
        typer.echo(f"laneway {__version__}")
        raise typer.Exit


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Laneway command line."""


def _with_state(work: Callable[[AppState], Awaitable[T]]) -> T:
    """Run `work`; a refusal or an unreachable database is one line on stderr and exit 1."""

    async def run() -> T:
        state = AppState.build(Settings())
        try:
            return await work(state)
        finally:
            await state.close()

    return _one_line_errors(run)


def _one_line_errors(run: Callable[[], Coroutine[Any, Any, T]]) -> T:
    try:
        return asyncio.run(run())
    except LanewayError as error:
        # soft_wrap: one line whatever the terminal's width, for scripts and cron mails
        console.print(f"[red]error:[/red] {error.detail or error.title}", soft_wrap=True)
    except (OSError, DBAPIError) as error:
        first_line = str(getattr(error, "orig", None) or error).splitlines()[0]
        console.print(
            f"[red]error:[/red] the database is not reachable: {first_line}", soft_wrap=True
        )
    raise typer.Exit(1)


def _password(given: str | None) -> str:
    secret = given or getpass.getpass("Password: ")
    if len(secret) < 8:
        raise typer.BadParameter("the password needs at least 8 characters")
    return secret


async def _upgrade(state: AppState) -> tuple[str | None, str | None]:
    before = await migrations.current(state.database.engine)
    await migrations.upgrade(state.database.engine)
    return before, await migrations.current(state.database.engine)


@migrate_app.command("upgrade")
def migrate_upgrade(revision: str = typer.Argument("head")) -> None:
    """Upgrade the database to REVISION (default: the newest)."""

    async def work(state: AppState) -> str | None:
        await migrations.upgrade(state.database.engine, revision)
        return await migrations.current(state.database.engine)

    console.print(f"database at revision [bold]{_with_state(work)}[/bold]")


@migrate_app.command("downgrade")
def migrate_downgrade(revision: str) -> None:
    """Downgrade the database to REVISION ("base" removes every table)."""

    async def work(state: AppState) -> str | None:
        await migrations.downgrade(state.database.engine, revision)
        return await migrations.current(state.database.engine)

    console.print(f"database at revision [bold]{_with_state(work)}[/bold]")


@migrate_app.command("current")
def migrate_current() -> None:
    """Show the database's revision and the newest one available."""

    async def work(state: AppState) -> str | None:
        return await migrations.current(state.database.engine)

    typer.echo(f"current: {_with_state(work)}  head: {migrations.head()}")


@app.command("create-user")
def create_user(
    email: Annotated[str, typer.Option(prompt=True)],
    name: Annotated[str, typer.Option(prompt=True)],
    password: Annotated[
        str | None, typer.Option(help="Read from a prompt when not given.", show_default=False)
    ] = None,
) -> None:
    """Create an account (for servers with registration closed)."""
    secret = _password(password)

    async def work(state: AppState) -> int:
        user = await auth_service.register(
            state.database, state.passwords, email=email, password=secret, name=name
        )
        return user.id

    console.print(f"created user {email} (id {_with_state(work)})")


@app.command("reset-password")
def reset_password(
    email: Annotated[str, typer.Option(prompt=True)],
    password: Annotated[
        str | None, typer.Option(help="Read from a prompt when not given.", show_default=False)
    ] = None,
) -> None:
    """Set a new password for an account; its sessions end."""
    secret = _password(password)

    async def work(state: AppState) -> None:
        await auth_service.reset_password(
            state.database, state.passwords, email=email, password=secret
        )

    _with_state(work)
    console.print(f"password of {email} reset; its sessions have ended")


def _set_active(email: str, *, active: bool) -> None:
    async def work(state: AppState) -> None:
        async with state.database.transaction() as session:
            await auth_service.set_active(session, email=email, active=active)

    _with_state(work)


@app.command("deactivate-user")
def deactivate_user(email: Annotated[str, typer.Option(prompt=True)]) -> None:
    """Stop an account from signing in; its sessions, tokens and live streams end."""
    _set_active(email, active=False)
    console.print(f"{email} deactivated; its sessions and tokens have ended")


@app.command("activate-user")
def activate_user(email: Annotated[str, typer.Option(prompt=True)]) -> None:
    """Let a deactivated account sign in again."""
    _set_active(email, active=True)
    console.print(f"{email} can sign in again")


@app.command("set-admin")
def set_admin(
    email: Annotated[str, typer.Option(prompt=True)],
    revoke: Annotated[bool, typer.Option("--revoke", help="Make an admin a user again.")] = False,
) -> None:
    """Make an account an instance admin (its requests get the admin rate limit)."""

    async def work(state: AppState) -> None:
        async with state.database.transaction() as session:
            await auth_service.set_admin(session, email=email, admin=not revoke)

    _with_state(work)
    console.print(f"{email} is {'no longer ' if revoke else ''}an instance admin")


@app.command()
def invite(
    email: Annotated[str, typer.Option(prompt=True)],
    days: Annotated[int, typer.Option(min=1, max=365, help="Days the code stays valid.")] = 7,
) -> None:
    """Print a one-use invitation code for EMAIL (LANEWAY_REGISTRATION=invite)."""

    async def work(state: AppState) -> str:
        async with state.database.transaction() as session:
            return await auth_service.invite(
                session, email=email, invited_by=None, valid_for=timedelta(days=days)
            )

    code = _with_state(work)
    console.print(f"invitation for {email} (valid {days} days):")
    typer.echo(code)


def _seed_with_progress(state: AppState, tasks: int) -> Awaitable[DemoInfo]:
    from laneway.demo import seed_demo

    progress = Progress(TextColumn("demo data"), BarColumn(), MofNCompleteColumn(), console=console)
    bar = progress.add_task("tasks", total=tasks)

    async def run() -> DemoInfo:
        with progress:
            return await seed_demo(state, tasks, lambda n: progress.advance(bar, n))

    return run()


@app.command()
def demo(
    tasks: Annotated[int, typer.Option(min=0, help="Tasks on the demo board.")] = 2000,
) -> None:
    """Load demo data (safe to run again: nothing is duplicated)."""
    info = _with_state(lambda state: _seed_with_progress(state, tasks))
    what = "created" if info.created else "already present"
    console.print(f"demo data {what}: log in as {info.email} / {info.password}")


class _Bar:
    """A rich progress bar as the backup package's Progress; drawn from the moment the work
    knows its size (a refusal before that prints only its error)."""

    def __init__(self, label: str) -> None:
        self.progress = Progress(
            TextColumn(label), BarColumn(), MofNCompleteColumn(), console=console
        )
        self._bar = self.progress.add_task(label, total=None)
        self._started = False

    def start(self, total: int) -> None:
        self.progress.update(self._bar, total=total, completed=0)
        self.progress.start()
        self._started = True

    def advance(self, rows: int) -> None:
        self.progress.advance(self._bar, rows)

    def __enter__(self) -> _Bar:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._started:  # a bar never drawn leaves no blank line before the error
            self.progress.stop()


@app.command()
def backup(
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write an archive of the instance.")
    ] = None,
    verify: Annotated[
        Path | None, typer.Option("--verify", help="Check an archive instead (exit 1 if bad).")
    ] = None,
) -> None:
    """Write a consistent archive of the whole instance (keep it private: it holds the
    instance secret and password hashes), or check one with --verify."""
    if verify is not None and output is None:
        _verify(verify)
        return
    if output is None or verify is not None:
        raise typer.BadParameter("give either -o FILE or --verify FILE")
    target = output

    async def work(state: AppState) -> int:
        with _Bar("backup") as bar:
            manifest = await dump.backup(state.database.engine, target, bar)
        return sum(table.rows for table in manifest.tables)

    rows = _with_state(work)
    console.print(
        f"wrote {target} ({rows} rows); keep it as private as the database", soft_wrap=True
    )


def _verify(path: Path) -> None:
    async def run() -> list[TableCheck]:
        with _Bar("verify") as bar:
            return await verify_archive(path, bar)

    checks = _one_line_errors(run)
    table = Table("table", "rows", "ok")
    for check in checks:
        table.add_row(check.name, str(check.rows), "yes" if check.problem is None else "NO")
    Console().print(table)
    bad = [check for check in checks if check.problem is not None]
    for check in bad:
        console.print(f"[red]error:[/red] table {check.name}: {check.problem}", soft_wrap=True)
    if bad:
        raise typer.Exit(1)
    console.print(f"{path}: every table matches its manifest", soft_wrap=True)


@app.command()
def restore(
    archive: Annotated[Path, typer.Argument(help="An archive from `laneway backup`.")],
) -> None:
    """Load an archive into this instance's database, which must be empty (stop the server)."""

    async def work(state: AppState) -> int:
        with ArchiveReader(archive) as reader, _Bar("restore") as bar:
            await load.restore(state.database.write_engine, reader, progress=bar)
            return sum(table.rows for table in reader.manifest.tables)

    rows = _with_state(work)
    console.print(
        f"restored {rows} rows from {archive}; the database is at the newest revision",
        soft_wrap=True,
    )


class ExportFormat(StrEnum):
    json = "json"
    csv = "csv"


@app.command("export")
def export_project(
    key: Annotated[str, typer.Argument(help="The project's key, e.g. WEB.")],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="The file to write ('-': standard output).")
    ],
    format_: Annotated[
        ExportFormat,
        typer.Option("--format", help="json: the whole project, history included; csv: its tasks."),
    ] = ExportFormat.json,
) -> None:
    """Export one project: a JSON archive `laneway import` reads, or its tasks as CSV."""

    async def work(state: AppState) -> str:
        with _Bar("export") as bar:
            return await transfer.export(state, key, output, format_.value, bar)

    console.print(_with_state(work), soft_wrap=True, markup=False)


@app.command("import")
def import_project(
    file: Annotated[Path, typer.Argument(help="A `laneway export` archive (or a Trello export).")],
    owner: Annotated[
        str | None,
        typer.Option(help="Who owns the new project (default: the archive's owner, if here)."),
    ] = None,
    key: Annotated[
        str | None, typer.Option(help="Its key (default: the archive's, if free).")
    ] = None,
    name: Annotated[str | None, typer.Option(help="Its name (default: the archive's).")] = None,
    trello: Annotated[
        bool, typer.Option("--trello", help="FILE is a Trello board's JSON export.")
    ] = False,
) -> None:
    """Import a project archive (or a Trello board) as a new project, all or nothing."""

    async def work(state: AppState) -> str:
        with _Bar("import") as bar:
            return await transfer.import_archive(
                state, file, owner=owner, key=key, name=name, trello=trello, progress=bar
            )

    console.print(_with_state(work), soft_wrap=True, markup=False)


@app.command("import-csv")
def import_csv(
    file: Annotated[Path, typer.Argument(help="A CSV file with a header row.")],
    project: Annotated[str, typer.Option(help="The project's key.")],
    as_: Annotated[str, typer.Option("--as", help="The member (email) adding the tasks.")],
    map_: Annotated[
        list[str],
        typer.Option(
            "--map",
            help="FIELD=COLUMN, repeated; fields: title (required), description, status, "
            "assignee, priority, labels, due_date.",
        ),
    ],
) -> None:
    """Add a task per CSV row to a project; rows that cannot be read are listed and skipped."""

    async def work(state: AppState) -> tuple[list[str], str]:
        columns = transfer.mapping(map_)
        with _Bar("import") as bar:
            return await transfer.import_csv_file(
                state, file, project_key=project, user=as_, columns=columns, progress=bar
            )

    problems, summary = _with_state(work)
    for problem in problems:
        console.print(problem, soft_wrap=True, markup=False)
    console.print(summary, soft_wrap=True, markup=False)


@app.command()
def openapi() -> None:
    """Print the OpenAPI document (web/'s `npm run gen:api` makes TypeScript types of it)."""
    typer.echo(json.dumps(create_app().openapi(), indent=2))


@app.command()
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
    raise typer.Exit(run_worker(once=once, interval=interval))


@app.command()
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
    metrics_dir = _share_metrics(settings, host)

    async def prepare(state: AppState) -> None:
        if migrate:
            before, after = await _upgrade(state)
            if before != after:
                console.print(f"database migrated to revision {after}")
            if before is None and not with_demo:
                console.print("first start: add sample data with `laneway serve --demo`")
        if with_demo:
            info = await _seed_with_progress(state, 2000)
            console.print(f"demo login: [bold]{info.email}[/bold] / [bold]{info.password}[/bold]")

    _with_state(prepare)
    url = settings.http.public_url or f"http://{host}:{port}"
    console.print(f"Laneway {__version__} on {'SQLite' if settings.is_sqlite else 'PostgreSQL'}")
    console.print(f"open [bold]{url}[/bold]  (API docs: {url}/docs)")
    try:
        _run_uvicorn(host, port, workers)
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


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
