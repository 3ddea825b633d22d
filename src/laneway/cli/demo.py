"""`laneway demo`, and the demo data `laneway serve --demo` loads first."""

from __future__ import annotations

from typing import Annotated

import typer

from laneway.cli.database import refuse_unless_current
from laneway.cli.migrate import upgrade_database
from laneway.cli.runner import Bar, console, with_state
from laneway.demo import DemoInfo, seed_demo
from laneway.state import AppState


async def seed_with_progress(state: AppState, tasks: int) -> DemoInfo:
    """The demo board, with a bar only while it is being made."""
    with Bar("demo data") as bar:
        return await seed_demo(state, tasks, bar)


def say_demo(info: DemoInfo) -> None:
    what = "loaded" if info.created else "already there"
    console.print(
        f"demo data {what}: log in as [bold]{info.email}[/bold] / [bold]{info.password}[/bold]",
        soft_wrap=True,
    )


def demo(
    tasks: Annotated[int, typer.Option(min=0, help="Tasks on the demo board.")] = 2000,
) -> None:
    """Load demo data (safe to run again: nothing is duplicated). On SQLite the database is
    made and migrated first, as `laneway serve` does."""

    async def work(state: AppState) -> DemoInfo:
        if state.database.is_sqlite:
            await upgrade_database(state)
        await refuse_unless_current(state.database.engine, state.settings)
        return await seed_with_progress(state, tasks)

    say_demo(with_state(work, creates=True, needs_current=False))
