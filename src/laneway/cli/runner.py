"""How a command runs its async work: a refusal or a database error is one line on stderr
(naming the database) and exit 1; long work draws a progress bar there."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.text import Text
from sqlalchemy.exc import DBAPIError

from laneway.cli.database import Refused, describe, refuse_missing, refuse_unless_current
from laneway.config import Settings
from laneway.errors import LanewayError
from laneway.migrations import BrokenReferences
from laneway.state import AppState

console = Console(stderr=True)
T = TypeVar("T")


def with_state(
    work: Callable[[AppState], Awaitable[T]],
    *,
    creates: bool = False,
    needs_current: bool = True,
    settings: Settings | None = None,
) -> T:
    """Run `work` on the configured database; a refusal or a database error is one line on
    stderr and exit 1. Only `creates` commands may start a new SQLite file; `needs_current`
    ones first refuse a database not at this version's newest revision."""
    settings = settings or Settings()

    async def run() -> T:
        if not creates:
            refuse_missing(settings)
        state = AppState.build(settings)
        try:
            if needs_current:
                await refuse_unless_current(state.database.engine, settings)
            return await work(state)
        finally:
            await state.close()

    return one_line_errors(run, describe(settings))


def fail(message: str) -> typer.Exit:
    # soft_wrap: one line whatever the terminal's width, for scripts and cron mails
    console.print(Text.assemble(("error:", "red"), " ", message), soft_wrap=True)
    return typer.Exit(1)


def one_line_errors(run: Callable[[], Coroutine[Any, Any, T]], database: str | None = None) -> T:
    try:
        return asyncio.run(run())
    except LanewayError as error:
        raise fail(error.detail or error.title) from None
    except (Refused, BrokenReferences) as error:
        raise fail(str(error)) from None
    except (OSError, DBAPIError) as error:
        first_line = str(getattr(error, "orig", None) or error).splitlines()[0]
        where = f" ({database})" if database else ""
        # a statement that failed reached the database: only a failed connection is "not
        # reachable" (a DBAPIError raised while connecting carries no statement)
        if isinstance(error, DBAPIError) and error.statement is not None:
            raise fail(f"the database{where} refused a statement: {first_line}") from None
        raise fail(f"the database{where} is not reachable: {first_line}") from None


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
