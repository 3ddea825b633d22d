"""`laneway migrate upgrade | downgrade | current`."""

from __future__ import annotations

import typer

from laneway import migrations
from laneway.cli_runner import console, with_state
from laneway.state import AppState


async def upgrade_database(state: AppState) -> tuple[str | None, str | None]:
    """Upgrade to the newest revision; the revisions before and after."""
    before = await migrations.current(state.database.engine)
    await migrations.upgrade(state.database.engine)
    return before, await migrations.current(state.database.engine)


def upgrade(revision: str = typer.Argument("head")) -> None:
    """Upgrade the database to REVISION (default: the newest)."""

    async def work(state: AppState) -> str | None:
        await migrations.upgrade(state.database.engine, revision)
        return await migrations.current(state.database.engine)

    console.print(f"database at revision [bold]{with_state(work)}[/bold]")


def downgrade(revision: str) -> None:
    """Downgrade the database to REVISION ("base" removes every table)."""

    async def work(state: AppState) -> str | None:
        await migrations.downgrade(state.database.engine, revision)
        return await migrations.current(state.database.engine)

    console.print(f"database at revision [bold]{with_state(work)}[/bold]")


def current() -> None:
    """Show the database's revision and the newest one available."""

    async def work(state: AppState) -> str | None:
        return await migrations.current(state.database.engine)

    typer.echo(f"current: {with_state(work)}  head: {migrations.head()}")
