"""Exports and imports run as jobs, from the transfers table (queue.py), in the serving process
on the embedded default or in `laneway worker` processes, as webhook deliveries are.

A runner claims a transfer with a lease that its heartbeat renews while the work runs, writing
the rows done so far at the same time: that is the progress the API shows. Nothing is lost
when a runner dies: an import writes in batches into a hidden project (staging.py), recorded
on the transfer, and shows it in the transaction that marks the transfer done (so a retried
import never imports twice); a retry or the job's failure first removes what an attempt left.
An export stores its file in the transaction that marks it done. A dead runner's lease runs
out and another runner takes the transfer again, up to MAX_ATTEMPTS times. Refused input
(TransferError) fails at once with its message; anything else (the database away) is tried
again after a pause.
"""

from __future__ import annotations

import asyncio
import functools
import io
import secrets
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Annotated, Any

import structlog
from fastapi import Depends
from starlette.requests import HTTPConnection

from laneway.db import Database
from laneway.kit.poll_loop import PollLoop
from laneway.models import Transfer, TransferKind, TransferState
from laneway.models.base import utcnow
from laneway.observability.job_metrics import TRANSFER_OUTCOMES
from laneway.transfer import queue, staging
from laneway.transfer.csv_export import export_csv
from laneway.transfer.csv_import import CsvImportResult, import_csv
from laneway.transfer.errors import TransferError
from laneway.transfer.export import export_project
from laneway.transfer.importer import ImportResult, import_project
from laneway.transfer.progress import BeforeCommit, Reporter
from laneway.transfer.trello import TrelloImportResult, import_trello

log = structlog.get_logger("laneway.transfers")

LEASE = timedelta(seconds=60)
BEAT_SECONDS = 1.0  # progress is written, and the lease renewed, this often
AT_ONCE = 2  # transfers one process runs at once: each holds a whole file in memory
# imports one process reads at once: reading (in a thread, off the event loop) holds the file
# and what it validated so far, so two 64 MiB uploads never do that at the same time
IMPORTS_AT_ONCE = 1
MAX_ATTEMPTS = 3
RETRY_SECONDS = (5.0, 60.0)  # pauses after the first and second attempt that failed
ISSUES_KEPT = 100  # CSV row problems kept in a result; the rest are counted
MEASURE_EVERY_S = 5.0  # the queue's depth and age are counted this often, not every pass

EXPORT_FILES = {
    TransferKind.export_json: (".laneway.json", "application/json"),
    TransferKind.export_csv: (".csv", "text/csv; charset=utf-8"),
}


class LostClaim(Exception):
    """Another runner holds the transfer now: this one's lease ran out."""


class TransferRunner(PollLoop):
    def __init__(
        self,
        database: Database,
        poll_seconds: float = 0.5,
        clock: Callable[[], datetime] = utcnow,
        batch_rows: int = staging.BATCH_ROWS,
    ) -> None:
        super().__init__(poll_seconds, name="transfer-runner", log=log)
        self.database, self.clock = database, clock
        self.batch_rows = batch_rows
        self._running: dict[int, asyncio.Task[None]] = {}
        self._importing = asyncio.Semaphore(IMPORTS_AT_ONCE)
        self.outcomes = dict.fromkeys(TRANSFER_OUTCOMES, 0)  # for /metrics
        self.queue_depth = 0
        self.queue_oldest_due_seconds = 0.0
        self._measured_at = 0.0

    async def stop(self, grace: float = 10.0) -> None:
        """Stops taking work; a transfer still running after `grace` seconds goes back to the
        queue (that attempt not counted) for the next runner."""
        await super().stop()
        running = list(self._running.values())
        if running:
            _done, pending = await asyncio.wait(running, timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    @property
    def in_flight(self) -> int:
        return len(self._running)

    async def drain(self) -> None:
        """Until the queue is empty and nothing runs (tests)."""
        while True:
            await self.run_once()
            if not self._running:
                return
            await asyncio.gather(*self._running.values(), return_exceptions=True)

    async def poll(self) -> None:
        await self.run_once()

    async def run_once(self) -> int:
        """Claims what is due, as far as there is room; how many it started."""
        if time.monotonic() - self._measured_at > MEASURE_EVERY_S:
            await self._measure()
        free = AT_ONCE - len(self._running)
        if free <= 0:
            return 0
        now = self.clock()
        claim = secrets.token_hex(8)
        async with self.database.transaction() as session:
            taken = await queue.claim(session, now, now + LEASE, claim, free)
        for transfer_id in taken:
            task = asyncio.create_task(self._run_one(transfer_id, claim), name="transfer")
            self._running[transfer_id] = task
            task.add_done_callback(functools.partial(self._finished, transfer_id))
        return len(taken)

    def _finished(self, transfer_id: int, _task: asyncio.Task[None]) -> None:
        self._running.pop(transfer_id, None)
        self.wake()

    async def _measure(self) -> None:
        self._measured_at = time.monotonic()
        now = self.clock()
        async with self.database.transaction(write=False) as session:
            depth, oldest = await queue.queue(session, now)
        self.queue_depth = depth
        self.queue_oldest_due_seconds = (
            0.0 if oldest is None else max(0.0, (now - oldest).total_seconds())
        )

    async def _run_one(self, transfer_id: int, claim: str) -> None:
        tally = Reporter(lambda _done, _total: None)
        work = asyncio.create_task(self._work(transfer_id, claim, tally))
        beat = asyncio.create_task(self._beat(transfer_id, claim, tally))
        try:
            await asyncio.wait({work, beat}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:  # a stop: the transfer goes back to the queue
            await _cancel(work, beat)
            with suppress(Exception):
                async with self.database.transaction() as session:
                    await queue.release(session, transfer_id, claim, self.clock(), refund=True)
            raise
        await _cancel(beat)
        if not work.done():  # the heartbeat found another claim there
            await _cancel(work)
            log.warning("transfer taken over by another runner", transfer=transfer_id)
            return
        error = work.exception()
        if error is None:
            self.outcomes["done"] += 1
        elif isinstance(error, LostClaim):
            log.warning("transfer taken over by another runner", transfer=transfer_id)
        elif isinstance(error, TransferError):
            self.outcomes["failed"] += 1
            await self._end(transfer_id, claim, error.detail or error.title)
        else:
            await self._failed_attempt(transfer_id, claim, error)

    async def _beat(self, transfer_id: int, claim: str, tally: Reporter) -> None:
        """Returns when the claim is no longer this runner's."""
        while True:
            await asyncio.sleep(BEAT_SECONDS)
            try:
                async with self.database.transaction() as session:
                    ours = await queue.progress(
                        session, transfer_id, claim, tally.done, tally.total, self.clock() + LEASE
                    )
            except Exception as error:  # SQLite busy under an import's write: next beat
                log.debug("transfer progress not written", error=repr(error))
                continue
            if not ours:
                return

    async def _failed_attempt(self, transfer_id: int, claim: str, error: BaseException) -> None:
        async with self.database.transaction(write=False) as session:
            attempts = (await session.get_one(Transfer, transfer_id)).attempts
        log.warning("transfer attempt failed", transfer=transfer_id, error=repr(error))
        if attempts >= MAX_ATTEMPTS:
            self.outcomes["failed"] += 1
            await self._end(transfer_id, claim, f"gave up after {attempts} attempts: {error!r}")
            return
        self.outcomes["retry"] += 1
        pause = timedelta(seconds=RETRY_SECONDS[min(attempts, len(RETRY_SECONDS)) - 1])
        async with self.database.transaction() as session:
            await queue.release(session, transfer_id, claim, self.clock() + pause, refund=False)

    async def _end(self, transfer_id: int, claim: str, error: str) -> None:
        await self._discard_hidden(transfer_id)
        async with self.database.transaction() as session:
            await queue.finish(
                session, transfer_id, claim, self.clock(), state=TransferState.failed, error=error
            )
            await queue.drop_input(session, transfer_id)

    async def _discard_hidden(self, transfer_id: int) -> None:
        """What an earlier attempt of this import left (a hidden project) goes."""
        async with self.database.transaction(write=False) as session:
            hidden = queue.hidden_project(await session.get_one(Transfer, transfer_id))
        if hidden is not None:
            await staging.discard(self.database, hidden, self.batch_rows)

    def _stage(self, transfer_id: int, claim: str) -> staging.Stage:
        async def check(session: Any) -> None:
            if not await queue.still_mine(session, transfer_id, claim, self.clock() + LEASE):
                raise LostClaim

        async def adopt(session: Any, project_id: int) -> None:
            lease = self.clock() + LEASE
            if not await queue.hide(session, transfer_id, claim, lease, project_id):
                raise LostClaim

        # a failed import's hidden rows: removed by _end, or by the next attempt first
        return staging.Stage(check=check, adopt=adopt, batch_rows=self.batch_rows, discards=False)

    async def _work(self, transfer_id: int, claim: str, tally: Reporter) -> None:
        async with self.database.transaction(write=False) as session:
            kind = await queue.kind(session, transfer_id)
        if kind in EXPORT_FILES:
            await self._load_and_run(transfer_id, claim, tally)
            return
        # the upload is loaded once it is this import's turn: one in memory at a time
        async with self._importing:  # the heartbeat keeps the claim while this one waits
            await self._load_and_run(transfer_id, claim, tally)

    async def _load_and_run(self, transfer_id: int, claim: str, tally: Reporter) -> None:
        async with self.database.transaction(write=False) as session:
            transfer, data = await queue.load(session, transfer_id)
            session.expunge(transfer)
        if transfer.attempts > MAX_ATTEMPTS:  # its runner died that often while running it
            raise TransferError(f"gave up: stopped {MAX_ATTEMPTS} times while running")
        if transfer.kind in EXPORT_FILES:
            await self._export(transfer, claim, tally)
            return
        await self._discard_hidden(transfer_id)
        stage = self._stage(transfer_id, claim)

        async def done(session: Any, result: Any) -> None:
            values = _import_result(result)
            ended = await queue.finish(
                session,
                transfer_id,
                claim,
                self.clock(),
                state=TransferState.done,
                done_rows=tally.total,
                total_rows=tally.total,
                **values,
            )
            if not ended:
                raise LostClaim
            await queue.drop_input(session, transfer_id)

        if data is None:
            raise TransferError("the upload is missing")
        await self._import(transfer, data, tally, done, stage)

    async def _import(
        self,
        transfer: Transfer,
        data: bytes,
        tally: Reporter,
        done: BeforeCommit,
        stage: staging.Stage,
    ) -> None:
        options, owner = transfer.options, transfer.user_id
        if transfer.kind is TransferKind.import_csv:
            if transfer.project_id is None:
                raise TransferError("the project was deleted")
            await import_csv(
                self.database,
                data,
                project_id=transfer.project_id,
                user=owner,
                mapping=options.get("mapping") or {},
                progress=tally,
                before_commit=done,
                stage=stage,
            )
        else:
            trello = transfer.kind is TransferKind.import_trello
            await (import_trello if trello else import_project)(
                self.database,
                data,
                owner=owner,
                key=options.get("key"),
                name=options.get("name"),
                progress=tally,
                before_commit=done,
                stage=stage,
            )

    async def _export(self, transfer: Transfer, claim: str, tally: Reporter) -> None:
        if transfer.project_id is None:
            raise TransferError("the project was deleted")
        buffer = io.BytesIO()
        key = str(transfer.options.get("key", "project"))
        if transfer.kind is TransferKind.export_json:
            summary = await export_project(self.database, transfer.project_id, buffer, tally)
            key, result = summary.key, asdict(summary)
        else:
            rows = await export_csv(self.database, transfer.project_id, buffer, tally)
            result = {"key": key, "tasks": rows}
        now = self.clock()
        suffix, media_type = EXPORT_FILES[transfer.kind]
        name = f"{key}-{now:%Y%m%d-%H%M%S}{suffix}"
        async with self.database.transaction() as session:
            ended = await queue.finish(
                session,
                transfer.id,
                claim,
                now,
                state=TransferState.done,
                result=result,
                done_rows=tally.total,
                total_rows=tally.total,
            )
            if not ended:
                raise LostClaim
            queue.add_file(session, transfer.id, "output", name, media_type, buffer.getvalue())


def _import_result(result: ImportResult | TrelloImportResult | CsvImportResult) -> dict[str, Any]:
    """The columns a finished import sets: its project and a summary (JSON) of what it did."""
    if isinstance(result, CsvImportResult):
        summary: dict[str, Any] = {
            "key": result.key,
            "rows": result.rows,
            "created": result.created,
            "labels_created": result.labels_created,
            "warnings": [str(issue) for issue in result.warnings[:ISSUES_KEPT]],
            "warning_count": len(result.warnings),
            "errors": [str(issue) for issue in result.errors[:ISSUES_KEPT]],
            "skipped_rows": len({issue.row for issue in result.errors}),
        }
        return {"project_id": result.project_id, "result": summary}
    if isinstance(result, TrelloImportResult):
        summary = asdict(result.project) | {
            "unmatched_members": result.unmatched_members,
            "skipped_lists": result.skipped_lists,
            "skipped_cards": result.skipped_cards,
        }
        return {"project_id": result.project.project_id, "result": summary}
    return {"project_id": result.project_id, "result": asdict(result)}


async def _cancel(*tasks: asyncio.Task[None]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def get_transfers(connection: HTTPConnection) -> TransferRunner:
    transfers: TransferRunner = connection.app.state.laneway.transfers
    return transfers


TransfersDep = Annotated[TransferRunner, Depends(get_transfers)]
