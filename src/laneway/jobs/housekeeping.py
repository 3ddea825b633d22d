"""Rows that only wait to be deleted: expired tokens, live tickets, invitations, idempotency
keys, old webhook delivery logs and finished transfers; and attachment files whose row is gone.
Reads already ignore them; `laneway worker` removes them, or the serving process itself when it
runs the jobs (the embedded default).

Each job deletes in batches of at most `batch_size` rows, one short transaction per batch, so
it never holds a lock for long (on SQLite, never the write lock). Any number of workers may run
at once: a row is deleted once whoever gets there first, and on PostgreSQL a batch skips the
rows another worker's batch holds instead of waiting for them.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

import anyio
import structlog
from sqlalchemy import ColumnElement, CursorResult, delete, select, tuple_
from sqlalchemy.orm import InstrumentedAttribute

from laneway.blobs import repository as blob_repository
from laneway.blobs.store import TEMPORARY_PREFIX, attachment_id_of, file_name
from laneway.config import Settings
from laneway.db import Database
from laneway.idempotency import RETENTION
from laneway.models import (
    ApiToken,
    DeliveryState,
    IdempotencyKey,
    Invitation,
    LiveTicket,
    Transfer,
    TransferState,
    WebhookDelivery,
)
from laneway.models.base import utcnow

log = structlog.get_logger("laneway.housekeeping")

# A token is deleted this long after it expired. Until then its owner is told "expired" rather
# than "invalid", and a request that authenticated just before the expiry can still finish what
# refers to the token (a live ticket) without meeting a deleted row.
TOKEN_GRACE = timedelta(hours=1)
# An upload writes its file before its transaction commits: a file younger than this may belong
# to a row not yet committed, and is left alone.
FILE_GRACE = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Sweep:
    """One run's parameters: a cut-off instant for every job, and when to stop early."""

    database: Database
    batch_size: int = 1000
    now: datetime = field(default_factory=utcnow)
    stopping: Callable[[], bool] = lambda: False  # asked between batches
    delivery_retention: timedelta = timedelta(days=30)
    transfer_retention: timedelta = timedelta(days=7)
    attachments: Path | None = None  # the attachment file store's directory


Key = InstrumentedAttribute[Any]


async def _delete_in_batches(
    sweep: Sweep, model: type[Any], key: Sequence[Key], condition: ColumnElement[bool]
) -> int:
    """DELETE ... WHERE key IN (SELECT key ... WHERE condition LIMIT n), until a batch comes
    back short or the sweep is stopping; the number of rows deleted."""
    target = key[0] if len(key) == 1 else tuple_(*key)
    batch = (
        select(*key)
        .where(condition)
        .limit(sweep.batch_size)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite has one writer anyway
    )
    total = 0
    while True:
        async with sweep.database.transaction() as session:
            result = await session.execute(delete(model).where(target.in_(batch)))
        deleted = cast(CursorResult[Any], result).rowcount
        total += deleted
        if deleted < sweep.batch_size or sweep.stopping():
            return total


async def expired_tokens(sweep: Sweep) -> int:
    """Session and personal tokens expired more than TOKEN_GRACE ago. A revoked token is
    deleted when it is revoked; the live tickets issued under a token go with it (cascade)."""
    return await _delete_in_batches(
        sweep, ApiToken, [ApiToken.id], ApiToken.expires_at <= sweep.now - TOKEN_GRACE
    )


async def expired_live_tickets(sweep: Sweep) -> int:
    """Used tickets are deleted when used; these were never used."""
    return await _delete_in_batches(
        sweep, LiveTicket, [LiveTicket.ticket_hash], LiveTicket.expires_at <= sweep.now
    )


async def expired_invitations(sweep: Sweep) -> int:
    return await _delete_in_batches(
        sweep, Invitation, [Invitation.code_hash], Invitation.expires_at <= sweep.now
    )


async def old_idempotency_keys(sweep: Sweep) -> int:
    """Keys past the replay window (a retry after it is a new request)."""
    return await _delete_in_batches(
        sweep,
        IdempotencyKey,
        [IdempotencyKey.user_id, IdempotencyKey.key],
        IdempotencyKey.created_at <= sweep.now - RETENTION,
    )


async def old_deliveries(sweep: Sweep) -> int:
    """Webhook delivery logs past their retention, once finished (never one still queued)."""
    return await _delete_in_batches(
        sweep,
        WebhookDelivery,
        [WebhookDelivery.id],
        (WebhookDelivery.created_at <= sweep.now - sweep.delivery_retention)
        & WebhookDelivery.state.in_((DeliveryState.delivered, DeliveryState.failed)),
    )


async def old_transfers(sweep: Sweep) -> int:
    """Exports and imports finished past their retention, with their files (cascade)."""
    return await _delete_in_batches(
        sweep,
        Transfer,
        [Transfer.id],
        (Transfer.finished_at <= sweep.now - sweep.transfer_retention)
        & Transfer.state.in_((TransferState.done, TransferState.failed)),
    )


async def orphan_attachment_files(sweep: Sweep) -> int:
    """Files of the attachment store that no row names, older than FILE_GRACE: left by a
    crash between writing a file and committing its row (or deleting a row and its file), or
    by the rows of a task or project deleted without their files. Files the store never names
    are not touched."""
    if sweep.attachments is None:
        return 0
    old = await anyio.to_thread.run_sync(_old_files, sweep.attachments, sweep.now - FILE_GRACE)
    removed = 0
    for start in range(0, len(old), sweep.batch_size):
        batch = old[start : start + sweep.batch_size]
        ids = {i for i in map(attachment_id_of, batch) if i is not None}
        async with sweep.database.transaction(write=False) as session:
            rows = await blob_repository.files_among(session, ids) if ids else []
        named = {file_name(i, at) for i, at in rows}
        gone = [name for name in batch if name not in named]
        removed += await anyio.to_thread.run_sync(_remove, sweep.attachments, gone)
        if sweep.stopping():
            break
    return removed


def _old_files(directory: Path, before: datetime) -> list[str]:
    """Names of the store's own files (final or temporary) last changed before `before`."""
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return []
    cut = before.timestamp()
    return sorted(
        entry.name
        for entry in entries
        if (attachment_id_of(entry.name) is not None or entry.name.startswith(TEMPORARY_PREFIX))
        and _changed(entry) < cut
    )


def _changed(entry: os.DirEntry[str]) -> float:
    """When a regular file last changed; infinitely late for anything else (or one gone)."""
    try:
        if entry.is_file(follow_symlinks=False):
            return entry.stat(follow_symlinks=False).st_mtime
    except OSError:
        pass
    return float("inf")


def _remove(directory: Path, names: list[str]) -> int:
    removed = 0
    for name in names:
        try:
            (directory / name).unlink()
            removed += 1
        except FileNotFoundError:  # another worker was first
            pass
    return removed


JOBS: dict[str, Callable[[Sweep], Awaitable[int]]] = {
    "tokens": expired_tokens,
    "live_tickets": expired_live_tickets,
    "invitations": expired_invitations,
    "idempotency_keys": old_idempotency_keys,
    "webhook_deliveries": old_deliveries,
    "transfers": old_transfers,
    "attachment_files": orphan_attachment_files,
}


Ran = Callable[[dict[str, int], bool], None]  # what each job deleted, and whether all went well


async def run_all(
    database: Database, settings: Settings, stop: asyncio.Event, ran: Ran | None = None
) -> bool:
    """One run of every job; logs the counts. False if a job failed."""
    started = time.monotonic()
    sweep = Sweep(
        database,
        settings.worker.batch_size,
        stopping=stop.is_set,
        delivery_retention=timedelta(days=settings.webhook.delivery_retention_days),
        transfer_retention=timedelta(days=settings.transfer.retention_days),
        attachments=settings.attachments_dir,
    )
    deleted: dict[str, int] = {}
    failed: dict[str, str] = {}
    for name, job in JOBS.items():
        if stop.is_set():
            break
        try:
            deleted[name] = await job(sweep)
        except Exception as error:  # one failing job (database away) must not end the others
            failed[name] = repr(error)
    seconds = round(time.monotonic() - started, 3)
    if failed:
        log.error("housekeeping", deleted=deleted, failed=failed, seconds=seconds)
    else:
        log.info("housekeeping", deleted=deleted, seconds=seconds, stopped=stop.is_set())
    if ran is not None:
        ran(deleted, not failed)
    return not failed


async def every(
    database: Database, settings: Settings, stop: asyncio.Event, ran: Ran | None = None
) -> None:
    """Every LANEWAY_WORKER_INTERVAL_SECONDS, starting one interval from now, until `stop`."""
    while not stop.is_set():
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), settings.worker.interval_seconds)
        if not stop.is_set():
            await run_all(database, settings, stop, ran)
