"""Progress of long transfers, in rows: the backup package's protocol (start with the total,
then advance), so the CLI's bar and a background job's counter plug into both."""

from __future__ import annotations

from collections.abc import Callable

from laneway.backup.progress import SILENT, Progress

__all__ = ["SILENT", "Progress", "Reporter"]


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
