"""The `laneway` command: serve, migrate, create-user, demo."""

from __future__ import annotations

import asyncio
import getpass
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
import uvicorn
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from laneway import __version__, migrations
from laneway.config import Settings
from laneway.demo import DemoInfo
from laneway.state import AppState

app = typer.Typer(
    help="Laneway: a fast, self-hosted, real-time task tracker.", no_args_is_help=True
)
migrate_app = typer.Typer(help="Apply or inspect database migrations.", no_args_is_help=True)
app.add_typer(migrate_app, name="migrate")
console = Console(stderr=True)
T = TypeVar("T")


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
    async def run() -> T:
        state = AppState.build(Settings())
        try:
            return await work(state)
        finally:
            await state.close()

    return asyncio.run(run())


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
    from laneway.auth import service as auth_service

    secret = password or getpass.getpass("Password: ")
    if len(secret) < 8:
        raise typer.BadParameter("the password needs at least 8 characters")

    async def work(state: AppState) -> int:
        async with state.database.session() as session, session.begin():
            user = await auth_service.register(
                session, state.passwords, email=email, password=secret, name=name
            )
            return user.id

    console.print(f"created user {email} (id {_with_state(work)})")


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
    uvicorn.run(
        "laneway.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        access_log=False,
        proxy_headers=True,
    )
