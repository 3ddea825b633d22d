"""Imports write a batch per transaction into a hidden project, so another user's write never
waits for a whole file (SQLite has one write lock for the instance), while an import still
lands all or nothing, exactly once, whatever happens to its runner."""

from __future__ import annotations

import asyncio
import io
from contextlib import suppress
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from laneway.models import Event, Project, Task, TransferKind
from laneway.models.base import utcnow
from laneway.state import AppState
from laneway.transfer import export_project, queue, staging
from laneway.transfer.jobs import LEASE, TransferRunner
from laneway.transfer.progress import Reporter
from tests.support import Api, User
from tests.transfer.seed import ok

ROWS = 1200
BATCH = 100  # a dozen batches: small enough to be quick, enough to be seen between


def sheet(rows: int = ROWS) -> bytes:
    return ("Title,Due\n" + "".join(f"Row {i},2020-01-01\n" for i in range(rows))).encode()


async def queued(api: Api, user: User, path: str, body: bytes) -> int:
    response = await api.request("POST", path, user, content=body)
    assert response.status_code == 202, response.text
    transfer_id: int = response.json()["id"]
    return transfer_id


async def claimed(state: AppState, transfer_id: int, claim: str) -> None:
    now = utcnow()
    async with state.database.transaction() as session:
        assert await queue.claim(session, now, now + LEASE, claim, 10) == [transfer_id]


def started(rows: int) -> tuple[Reporter, asyncio.Event]:
    """A progress that says when `rows` rows are done."""
    reached = asyncio.Event()

    def report(done: int, _total: int) -> None:
        if done >= rows:
            reached.set()

    return Reporter(report), reached


async def visible_tasks(api: Api, user: User, project_id: int) -> int:
    board = await ok(api, "GET", f"/projects/{project_id}/board?limit=1", user)
    counted = sum(column["count"] for column in board["columns"])
    listed = (await ok(api, "GET", f"/projects/{project_id}/tasks?limit=200", user))["items"]
    assert counted == len(listed) or counted > 200
    return int(counted)


async def all_projects(state: AppState) -> int:
    async with state.database.transaction(write=False) as session:
        return int(await session.scalar(select(func.count()).select_from(Project)) or 0)


async def numbers(state: AppState, project_id: int) -> list[int]:
    async with state.database.transaction(write=False) as session:
        query = select(Task.number).where(Task.project_id == project_id).order_by(Task.number)
        return list(await session.scalars(query))


async def test_another_users_write_goes_between_a_csv_imports_batches(
    api: Api, state: AppState
) -> None:
    owner, other = await api.user(), await api.user()
    target = (await api.project(owner, "Target", key="TGT"))["id"]
    elsewhere = (await api.project(other, "Elsewhere", key="ELSE"))["id"]
    transfer_id = await queued(
        api, owner, f"/projects/{target}/imports?map=title=Title&map=due_date=Due", sheet()
    )
    await claimed(state, transfer_id, "runner")
    runner = TransferRunner(state.database, batch_rows=BATCH)
    tally, reached = started(2 * BATCH)
    work = asyncio.create_task(runner._work(transfer_id, "runner", tally))
    await reached.wait()

    # the other user's create does not wait for the import to end
    made = await api.task(other, elsewhere, title="Meanwhile")
    assert made["number"] == "ELSE-1"
    assert not work.done()
    # and nothing of the import shows before its end
    assert await visible_tasks(api, owner, target) == 0
    await work

    assert await visible_tasks(api, owner, target) == ROWS
    assert await numbers(state, target) == list(range(1, ROWS + 1))
    async with state.database.transaction(write=False) as session:
        seqs = select(func.count(), func.max(Event.seq)).where(Event.project_id == target)
        # project.created and member.added, then a task.created per row: contiguous
        assert tuple((await session.execute(seqs)).one()) == (ROWS + 2, ROWS + 2)
    created = await api.task(owner, target, title="After")
    assert created["number"] == f"TGT-{ROWS + 1}"


async def run_until_killed(state: AppState, transfer_id: int, rows: int) -> None:
    """A runner claims the import and dies after `rows` rows (its lease left to run out)."""
    await claimed(state, transfer_id, "doomed")
    runner = TransferRunner(state.database, batch_rows=BATCH)
    tally, reached = started(rows)
    work = asyncio.create_task(runner._work(transfer_id, "doomed", tally))
    await reached.wait()
    work.cancel()
    with suppress(asyncio.CancelledError):
        await work
    assert work.cancelled()


async def retried(state: AppState, api: Api, user: User, transfer_id: int) -> dict[str, Any]:
    later = TransferRunner(
        state.database, clock=lambda: utcnow() + LEASE + timedelta(seconds=1), batch_rows=BATCH
    )
    await later.drain()
    done: dict[str, Any] = await ok(api, "GET", f"/transfers/{transfer_id}", user)
    assert (done["state"], done["attempts"]) == ("done", 2), done
    return done


async def test_a_csv_import_killed_midway_shows_nothing_and_its_retry_imports_once(
    api: Api, state: AppState
) -> None:
    owner = await api.user()
    target = (await api.project(owner, "Target", key="TGT"))["id"]
    await api.task(owner, target, title="Already here")
    projects = await all_projects(state)
    transfer_id = await queued(api, owner, f"/projects/{target}/imports?map=title=Title", sheet())

    await run_until_killed(state, transfer_id, 3 * BATCH)
    assert await visible_tasks(api, owner, target) == 1  # the staged rows are nobody's to see
    assert await all_projects(state) == projects + 1  # hidden, until a retry removes it

    done = await retried(state, api, owner, transfer_id)
    assert done["result"]["created"] == ROWS
    assert await visible_tasks(api, owner, target) == ROWS + 1
    # the numbers the dead attempt reserved are skipped, never given twice
    taken = await numbers(state, target)
    assert len(taken) == len(set(taken)) == ROWS + 1
    assert await all_projects(state) == projects


async def test_an_archive_import_killed_midway_shows_nothing_and_its_retry_imports_once(
    api: Api, state: AppState
) -> None:
    owner = await api.user()
    source = (await api.project(owner, "Source", key="SRC"))["id"]
    filled = await queued(api, owner, f"/projects/{source}/imports?map=title=Title", sheet())
    await state.transfers.drain()
    assert (await ok(api, "GET", f"/transfers/{filled}", owner))["state"] == "done"
    archive = io.BytesIO()
    await export_project(state.database, source, archive)
    projects = await all_projects(state)
    transfer_id = await queued(api, owner, "/imports?key=COPY", archive.getvalue())

    await run_until_killed(state, transfer_id, 3 * BATCH)
    mine = await ok(api, "GET", "/projects", owner)
    assert [p["key"] for p in mine] == ["SRC"]  # the hidden project is in no one's list
    async with state.database.transaction(write=False) as session:
        transfer = await queue.load(session, transfer_id)
        hidden = queue.hidden_project(transfer[0])
        assert transfer[0].kind is TransferKind.import_json
    assert hidden is not None
    assert (await api.request("GET", f"/projects/{hidden}", owner)).status_code == 404

    done = await retried(state, api, owner, transfer_id)
    copy = done["project_id"]
    assert await visible_tasks(api, owner, copy) == ROWS
    assert await numbers(state, copy) == list(range(1, ROWS + 1))
    assert await all_projects(state) == projects + 1


async def test_discarding_leaves_a_visible_project_alone(api: Api, state: AppState) -> None:
    """A hidden project is one without members: one that has them is never removed, whatever
    a transfer names (an archive import's own project, once done, is named too)."""
    owner = await api.user()
    pid = (await api.project(owner, "Kept", key="KEPT"))["id"]
    await api.task(owner, pid, title="Still here")
    assert await staging.discard(state.database, pid, batch_rows=10) is False
    assert await visible_tasks(api, owner, pid) == 1
