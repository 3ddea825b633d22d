"""`laneway demo`, and the demo data `laneway serve --demo` loads first."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from laneway.cli_runner import console, with_state
from laneway.demo import DemoInfo
from laneway.state import AppState


def seed_with_progress(state: AppState, tasks: int) -> Awaitable[DemoInfo]:
    from laneway.demo import seed_demo

    progress = Progress(TextColumn("demo data"), BarColumn(), MofNCompleteColumn(), console=console)
    bar = progress.add_task("tasks", total=tasks)

    async def run() -> DemoInfo:
        with progress:
            return await seed_demo(state, tasks, lambda n: progress.advance(bar, n))

    return run()


def demo(
    tasks: Annotated[int, typer.Option(min=0, help="Tasks on the demo board.")] = 2000,
) -> None:
    """Load demo data (safe to run again: nothing is duplicated)."""
    info = with_state(lambda state: seed_with_progress(state, tasks))
    what = "created" if info.created else "already present"
    console.print(f"demo data {what}: log in as {info.email} / {info.password}")
