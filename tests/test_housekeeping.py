"""Housekeeping deletes what waits only to be deleted, keeps the rest, and `laneway worker` runs
it as a process that stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from laneway.blobs.store import file_name
from laneway.config import Settings
from laneway.db import Database
from laneway.jobs import housekeeping, worker
from laneway.jobs.housekeeping import TOKEN_GRACE, Sweep
from laneway.models import (
    ApiToken,
    Attachment,
    DeliveryState,
    IdempotencyKey,
    Invitation,
    LiveTicket,
    Transfer,
    TransferFile,
    TransferKind,
    TransferState,
    Webhook,
    WebhookDelivery,
)
from laneway.models.base import utcnow
from laneway.state import AppState
from tests.conftest import make_settings
from tests.support import (
    Api,
    ago,
    ahead,
    plant_idempotency_key,
    plant_invitation,
    plant_ticket,
    plant_token,
)


async def _left(database: Database) -> dict[str, set[Any]]:
    async with database.transaction(write=False) as session:
        return {
            "tokens": set(await session.scalars(select(ApiToken.id))),
            "live_tickets": set(await session.scalars(select(LiveTicket.ticket_hash))),
            "invitations": set(await session.scalars(select(Invitation.code_hash))),
            "idempotency_keys": set(await session.scalars(select(IdempotencyKey.key))),
            "webhook_deliveries": set(await session.scalars(select(WebhookDelivery.id))),
            "transfers": set(await session.scalars(select(Transfer.id))),
        }


async def _plant_deliveries(database: Database, project_id: int) -> tuple[set[int], set[int]]:
    """Deliveries past the 30-day retention (finished: deleted; queued: kept) and recent ones."""
    old, recent = ago(days=31), ago(days=29)
    states = [
        (DeliveryState.delivered, old, False),
        (DeliveryState.failed, old, False),
        (DeliveryState.pending, old, True),  # still to send: never deleted
        (DeliveryState.delivered, recent, True),
    ]
    gone, kept = set(), set()
    async with database.transaction() as session:
        webhook = Webhook(
            project_id=project_id, url="http://93.184.215.14/", events=["*"], secret="whsec_"
        )
        session.add(webhook)
        await session.flush()
        for state, created, keep in states:
            delivery = WebhookDelivery(
                webhook_id=webhook.id,
                message_id="msg",
                event_type="task.created",
                body="{}",
                state=state,
                created_at=created,
            )
            session.add(delivery)
            await session.flush()
            (kept if keep else gone).add(delivery.id)
    return gone, kept


async def _plant_transfers(database: Database, user_id: int) -> set[int]:
    """Transfers finished past the 7-day retention (deleted, with their files), one still
    running and one finished recently (kept); the kept ones' ids."""
    old, recent = ago(days=8), ago(days=6)
    states = [
        (TransferState.done, old, False),
        (TransferState.failed, old, False),
        (TransferState.running, None, True),  # started long ago, not finished: never deleted
        (TransferState.done, recent, True),
    ]
    kept = set()
    async with database.transaction() as session:
        for state, finished, keep in states:
            transfer = Transfer(
                kind=TransferKind.export_csv,
                user_id=user_id,
                state=state,
                created_at=ago(days=9),
                finished_at=finished,
            )
            session.add(transfer)
            await session.flush()
            session.add(
                TransferFile(
                    transfer_id=transfer.id, role="output", name="x.csv", media_type="text/csv",
                    data=b"number\n",
                )
            )  # fmt: skip
            if keep:
                kept.add(transfer.id)
    return kept


async def _run_all(sweep: Sweep) -> dict[str, int]:
    return {name: await job(sweep) for name, job in housekeeping.JOBS.items()}


async def test_expired_rows_go_and_live_rows_stay(api: Api, state: AppState) -> None:
    database = state.database
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    before = await _left(database)
    (login,) = before["tokens"]

    gone_tokens = {await plant_token(database, owner.id, ago(hours=2)) for _ in range(3)}
    expired_in_grace = await plant_token(database, owner.id, ago(minutes=10))
    kept_tokens = {
        expired_in_grace,
        await plant_token(database, owner.id, ahead(days=1)),
        await plant_token(database, owner.id, None),  # never expires
    }
    # tickets of a deleted token go with it, by cascade, and are not counted as tickets
    await plant_ticket(database, next(iter(gone_tokens)), pid, ahead(minutes=1))
    for _ in range(2):
        await plant_ticket(database, login, pid, ago(seconds=1))
        await plant_invitation(database, ago(seconds=1))
    kept_ticket = await plant_ticket(database, login, pid, ahead(minutes=1))
    kept_invitation = await plant_invitation(database, ahead(days=1))
    for _ in range(5):
        await plant_idempotency_key(database, owner.id, ago(hours=49))
    kept_key = await plant_idempotency_key(database, owner.id, ago(hours=47))
    _gone_deliveries, kept_deliveries = await _plant_deliveries(database, pid)
    kept_transfers = await _plant_transfers(database, owner.id)

    # batches of two: several DELETEs per job, each its own transaction
    counts = await _run_all(Sweep(database, batch_size=2))
    assert counts == {
        "tokens": 3,
        "live_tickets": 2,
        "invitations": 2,
        "idempotency_keys": 5,
        "webhook_deliveries": 2,
        "transfers": 2,
        "attachment_files": 0,
    }
    assert await _left(database) == {
        "tokens": {login, *kept_tokens},
        "live_tickets": {kept_ticket},
        "invitations": {kept_invitation},
        "idempotency_keys": {kept_key},
        "webhook_deliveries": kept_deliveries,
        "transfers": kept_transfers,
    }
    async with database.transaction(write=False) as session:
        files = set(await session.scalars(select(TransferFile.transfer_id)))
    assert files == kept_transfers  # the deleted transfers' files went with them

    # nothing left to do: a second run (or another worker) deletes nothing
    assert await _run_all(Sweep(database, batch_size=2)) == dict.fromkeys(housekeeping.JOBS, 0)
    assert (await api.request("GET", "/me", owner)).status_code == 200

    # past the grace, the token that had just expired goes too
    later = Sweep(database, now=utcnow() + TOKEN_GRACE)
    assert await housekeeping.expired_tokens(later) == 1
    assert expired_in_grace not in (await _left(database))["tokens"]


async def _plant_attachment(database: Database, task_id: int, project_id: int, store: str) -> str:
    """A row straight into the table; the name its file has (or would have) in the store."""
    async with database.transaction() as session:
        row = Attachment(
            task_id=task_id,
            project_id=project_id,
            name="a.txt",
            media_type="text/plain",
            size=1,
            sha256="0" * 64,
            store=store,
            data=b"x" if store == "database" else None,
        )
        session.add(row)
        await session.flush()
        return file_name(row.id, row.created_at)


async def test_attachment_files_without_a_row_go(api: Api, state: AppState, tmp_path: Path) -> None:
    """Whatever the configured store: the job compares the directory with the rows."""
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    task_id = (await api.task(owner, pid))["id"]
    directory = tmp_path / "attachments"
    directory.mkdir()
    live = await _plant_attachment(state.database, task_id, pid, "files")
    in_database = await _plant_attachment(state.database, task_id, pid, "database")
    old = (ago(hours=2).timestamp(),) * 2
    planted = {
        live: old,  # its row names it: kept
        in_database: old,  # its row keeps its bytes in the database: gone
        "999999-20260101000000000000": old,  # no such row: gone
        "999998-20260101000000000000": None,  # no row, but young (an upload in flight): kept
        ".upload-abc.partial": old,  # a crashed upload's temporary file: gone
        ".upload-new.partial": None,  # an upload in progress: kept
        "README": old,  # not a name the store gives: never touched
    }
    for name, times in planted.items():
        (directory / name).write_bytes(b"x")
        if times is not None:
            os.utime(directory / name, times)

    sweep = Sweep(state.database, batch_size=2, attachments=directory)
    assert await housekeeping.orphan_attachment_files(sweep) == 3
    left = {p.name for p in directory.iterdir()}
    assert left == {live, "999998-20260101000000000000", ".upload-new.partial", "README"}
    later = Sweep(state.database, attachments=directory, now=utcnow() + timedelta(hours=2))
    assert await housekeeping.orphan_attachment_files(later) == 2
    assert {p.name for p in directory.iterdir()} == {live, "README"}
    # a store that was never used, or none at all: nothing to do
    assert await housekeeping.orphan_attachment_files(Sweep(state.database)) == 0
    missing = Sweep(state.database, attachments=tmp_path / "none")
    assert await housekeeping.orphan_attachment_files(missing) == 0


async def test_a_stopping_sweep_ends_after_its_batch(api: Api, state: AppState) -> None:
    owner = await api.user()
    for _ in range(5):
        await plant_idempotency_key(state.database, owner.id, ago(hours=49))
    stopping = Sweep(state.database, batch_size=2, stopping=lambda: True)
    assert await housekeeping.old_idempotency_keys(stopping) == 2
    assert await housekeeping.old_idempotency_keys(Sweep(state.database, batch_size=2)) == 3


async def test_workers_sweeping_together_delete_each_row_once(
    api: Api, state: AppState, settings: Settings
) -> None:
    owner = await api.user()
    for _ in range(12):
        await plant_idempotency_key(state.database, owner.id, ago(hours=49))
    other = Database(settings)  # another worker's own connections
    try:
        counts = await asyncio.gather(
            *(
                housekeeping.old_idempotency_keys(Sweep(db, batch_size=2))
                for db in (state.database, other) * 2
            )
        )
    finally:
        await other.dispose()
    assert sum(counts) == 12
    assert (await _left(state.database))["idempotency_keys"] == set()


async def test_one_run_in_process(api: Api, state: AppState, settings: Settings) -> None:
    owner = await api.user()
    await plant_idempotency_key(state.database, owner.id, ago(hours=49))
    assert await worker.work(settings, once=True) == 0
    assert (await _left(state.database))["idempotency_keys"] == set()


def _worker(database_url: str, tmp_path: Path, *args: str) -> tuple[subprocess.Popen[str], Path]:
    log = tmp_path / "worker.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(  # noqa: S603 - our own CLI
            [sys.executable, "-m", "laneway", "worker", *args],
            env={**os.environ, "LANEWAY_DATABASE_URL": database_url, "LANEWAY_LOG_LEVEL": "INFO"},
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            text=True,
        )
    return process, log


def _lines(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]


@pytest.mark.system
async def test_worker_once_runs_every_job_and_exits(database_url: str, tmp_path: Path) -> None:
    database = Database(make_settings(database_url, tmp_path))
    try:
        await plant_invitation(database, ago(seconds=1))
        process, log = _worker(database_url, tmp_path, "--once")
        assert process.wait(timeout=30) == 0, log.read_text()
        async with database.transaction(write=False) as session:
            assert await session.scalar(select(func.count()).select_from(Invitation)) == 0
    finally:
        await database.dispose()
    runs = [line for line in _lines(log) if line["event"] == "housekeeping"]
    assert [run["deleted"] for run in runs] == [
        {
            "tokens": 0,
            "live_tickets": 0,
            "invitations": 1,
            "idempotency_keys": 0,
            "webhook_deliveries": 0,
            "transfers": 0,
            "attachment_files": 0,
        }
    ]
    assert runs[0]["level"] == "info"


@pytest.mark.system
def test_sigterm_stops_a_running_worker(database_url: str, tmp_path: Path) -> None:
    process, log = _worker(database_url, tmp_path, "--interval", "300")
    try:
        deadline = time.monotonic() + 30
        while not any(line["event"] == "housekeeping" for line in _lines(log)):
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the worker never ran"
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        # at once, not at the end of its 300 s wait (30 s: a guard, on two busy cores)
        assert process.wait(timeout=30) == 0
    finally:
        process.kill()
        process.wait()
    assert _lines(log)[-1]["event"] == "worker stopped"


@pytest.mark.system
def test_a_worker_without_its_tables_reports_and_fails(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    sqlite3.connect(tmp_path / "empty.db").close()  # a missing file is refused before any job
    process, log = _worker(url, tmp_path, "--once")
    assert process.wait(timeout=30) == 1
    (run,) = [line for line in _lines(log) if line["event"] == "housekeeping"]
    assert run["level"] == "error"
    # every job that needs a table; the attachment files' finds no directory, so no query
    assert set(run["failed"]) == set(housekeeping.JOBS) - {"attachment_files"}
