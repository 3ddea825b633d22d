"""How a command runs its async work: a refusal or an unreachable database is one line on
stderr and exit 1; long work draws a progress bar there."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from sqlalchemy.exc import DBAPIError

from laneway.config import Settings
from laneway.errors import LanewayError
from laneway.state import AppState

console = Console(stderr=True)
T = TypeVar("T")


def with_state(work: Callable[[AppState], Awaitable[T]]) -> T:
    """Run `work`; a refusal or an unreachable database is one line on stderr and exit 1."""

    async def run() -> T:
        state = AppState.build(Settings())
        try:
            return await work(state)
        finally:
            await state.close()

    return one_line_errors(run)


def one_line_errors(run: Callable[[], Coroutine[Any, Any, T]]) -> T:
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


class Bar:
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

    def __enter__(self) -> Bar:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._started:  # a bar never drawn leaves no blank line before the error
            self.progress.stop()
