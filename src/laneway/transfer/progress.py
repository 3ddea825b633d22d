"""Progress of long transfers, in rows: the backup package's protocol (start with the total,
then advance), so the CLI's bar and a background job's counter plug into both. And the hook
an import calls inside its transaction, so that a job's end commits with what it wrote."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from laneway.backup.progress import SILENT, Progress

__all__ = ["SILENT", "BeforeCommit", "Progress", "Reporter"]

# Called with the import's session and its result just before the import commits; raising
# rolls the whole import back (a job that lost its claim must not write twice).
BeforeCommit = Callable[[AsyncSession, Any], Awaitable[None]]


class Reporter:
    """A Progress that calls `report(done, total)` after every step: for a job that stores
    how far it got, or an endpoint that streams it."""

    def __init__(self, report: Callable[[int, int], None]) -> None:
        self._report = report
        self.done = 0
        self.total = 0

    def start(self, total: int) -> None:
        self.done, self.total = 0, total
        self._report(0, total)

    def advance(self, rows: int) -> None:
        self.done += rows
        self._report(self.done, self.total)
