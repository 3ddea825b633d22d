"""Writes that take the project's lock in their one statement (PostgreSQL, whatever the
If-Match): their reads happen before the lock, so these tests race them against other writers."""

from __future__ import annotations

import asyncio
import random
from collections import Counter, defaultdict
from typing import Any

import pytest
from sqlalchemy import select

from laneway.labels import service as label_service
from laneway.models import Event, Task
from laneway.state import AppState
from laneway.tasks import one_trip
from tests.support import Api, User
from tests.tasks.test_concurrency import (
    _event_seqs,
    _ground_truth,
    _owner_access,
    _until_a_session_waits_for_a_lock,
)


@pytest.mark.stress
async def test_concurrent_moves_to_the_same_places_keep_ranks_unique_and_the_log_exact(
    api: Api, state: AppState
) -> None:
    rng = random.Random(11)
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    statuses = [s["id"] for s in await api.statuses(owner, pid)][:3]
    anchors = {s: (await api.task(owner, pid, status_id=s))["id"] for s in statuses}
    tasks = {(await api.task(owner, pid))["id"]: '"v1"' for _ in range(24)}

    async def mover(task_id: int) -> Counter[int]:
        seen: Counter[int] = Counter()
        for _ in range(6):
            target = rng.choice(statuses)
            # every mover aims at the same slot: right after the column's anchor
            response = await api.request(
                "POST",
                f"/tasks/{task_id}/move",
                owner,
                json={"status_id": target, "after_id": anchors[target]},
                headers={"If-Match": tasks[task_id]},
            )
            seen[response.status_code] += 1
            assert response.status_code == 200, response.text
            tasks[task_id] = response.headers["etag"]
        return seen

    results = await asyncio.gather(*(mover(task_id) for task_id in tasks))
    assert sum(results, Counter()) == {200: 24 * 6}

    truth, kept = await _ground_truth(state, pid)
    assert kept == truth
    seqs = await _event_seqs(state, pid)
    assert seqs == list(range(1, len(seqs) + 1))
    async with state.database.session(write=False) as session:
        rows = (await session.execute(select(Task).where(Task.project_id == pid))).scalars().all()
        last_snapshot = {}
        for event in await session.scalars(
            select(Event).where(Event.project_id == pid).order_by(Event.seq)
        ):
            if event.task_id is not None and event.snapshot is not None:
                last_snapshot[event.task_id] = event.snapshot
    by_column = Counter((t.status_id, t.rank) for t in rows)
    assert max(by_column.values()) == 1, "two live tasks share a rank in one column"
    for task in rows:
        if task.id in tasks:  # each task's row is what its last event says
            assert last_snapshot[task.id]["rank"] == task.rank
            assert last_snapshot[task.id]["status_id"] == task.status_id
            assert last_snapshot[task.id]["version"] == task.version
    for status in statuses:  # after the anchor means after it, whoever came first
        column = sorted((t.rank, t.id) for t in rows if t.status_id == status)
        assert column[0][1] == anchors[status]


async def test_a_label_deleted_while_a_create_waits_for_the_lock_refuses_the_create(
    api: Api, state: AppState
) -> None:
    if state.database.is_sqlite:
        pytest.skip("SQLite writes under its lock from the start (no one-statement writes)")
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    label = await api.label(owner, pid, "doomed")
    await api.task(owner, pid)  # warms the token and role caches: the create reads little

    access = await _owner_access(state, pid, owner.id)
    async with state.database.session() as deleter, deleter.begin():
        await label_service.delete_label(deleter, access, label["id"])  # holds the lock
        creating = asyncio.create_task(
            api.request(
                "POST",
                f"/projects/{pid}/tasks",
                owner,
                json={"title": "labelled", "labels": [label["id"]]},
            )
        )
        await _until_a_session_waits_for_a_lock(state)
    created = await creating  # its label check ran before the delete committed

    assert created.status_code == 409, created.text
    listed = await api.request("GET", f"/projects/{pid}/tasks", owner)
    assert "labelled" not in [t["title"] for t in listed.json()["items"]]
    seqs = await _event_seqs(state, pid)
    assert seqs == list(range(1, len(seqs) + 1))


async def test_32_concurrent_movers_with_star_and_versions_keep_the_project_exact(
    api: Api, state: AppState
) -> None:
    """Two movers per task, one with `If-Match: *` and one with the task's version (it reloads
    on a 412), each creating a task too: the counts, numbers, event log and ranks stay exact,
    and every task's events say, in order, each version its row went through."""
    rng = random.Random(26)
    owner = await api.user()
    pid = (await api.project(owner, key="MOVE"))["id"]
    statuses = [s["id"] for s in await api.statuses(owner, pid)][:3]
    shared = [(await api.task(owner, pid, status_id=statuses[0]))["id"] for _ in range(16)]
    refused: Counter[str] = Counter()

    async def mover(index: int) -> list[int]:
        task_id, star = shared[index % 16], index < 16
        created = await api.request("POST", f"/projects/{pid}/tasks", owner, json={"title": "new"})
        assert created.status_code == 201, created.text
        etag = "*" if star else await _etag(api, owner, task_id)
        moved = []
        for _ in range(4):
            while True:
                response = await api.request(
                    "POST",
                    f"/tasks/{task_id}/move",
                    owner,
                    json={"status_id": rng.choice(statuses)},
                    headers={"If-Match": etag},
                )
                if response.status_code == 412 and not star:  # the other mover came first
                    refused["version"] += 1
                    etag = await _etag(api, owner, task_id)
                    continue
                assert response.status_code == 200, response.text
                moved.append(task_id)
                etag = "*" if star else response.headers["etag"]
                break
        return moved

    results = await asyncio.gather(*(mover(index) for index in range(32)))
    moves_per_task = Counter(task_id for moved in results for task_id in moved)
    assert moves_per_task == dict.fromkeys(shared, 8)

    truth, kept = await _ground_truth(state, pid)
    assert kept == truth
    assert sum(truth.values()) == 16 + 32
    seqs = await _event_seqs(state, pid)
    assert seqs == list(range(1, len(seqs) + 1))
    async with state.database.session(write=False) as session:
        rows = (await session.execute(select(Task).where(Task.project_id == pid))).scalars().all()
        events = (
            await session.scalars(select(Event).where(Event.project_id == pid).order_by(Event.seq))
        ).all()
    assert sorted(t.number for t in rows) == list(range(1, 16 + 32 + 1))
    assert max(Counter((t.status_id, t.rank) for t in rows).values()) == 1
    versions: defaultdict[int, list[Any]] = defaultdict(list)
    for event in events:
        if event.task_id is not None and event.snapshot is not None:
            versions[event.task_id].append(event.snapshot["version"])
    for task in rows:  # one event per version, in the log's order, the last one the row's
        assert versions[task.id] == list(range(1, task.version + 1))
    assert all(next(t for t in rows if t.id == i).version == 9 for i in shared)


async def _etag(api: Api, user: User, task_id: int) -> str:
    response = await api.request("GET", f"/tasks/{task_id}", user)
    return str(response.headers["etag"])


async def test_a_star_move_of_a_task_changed_meanwhile_starts_over_from_the_newer_row(
    api: Api, state: AppState, monkeypatch: pytest.MonkeyPatch
) -> None:
    if state.database.is_sqlite:
        pytest.skip("SQLite takes the project's lock first and re-reads the task under it")
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    doing = (await api.statuses(owner, pid))[1]["id"]
    task = await api.task(owner, pid, title="before")
    write = one_trip.write
    calls: list[int] = []

    async def renamed_first(*args: Any, **kwargs: Any) -> Task:
        # another request renames the task, and commits, after the move read it
        calls.append(len(calls))
        if len(calls) == 1:
            renamed = await api.request(
                "PATCH",
                f"/tasks/{task['id']}",
                owner,
                json={"title": "renamed meanwhile"},
                headers={"If-Match": '"v1"'},
            )
            assert renamed.status_code == 200, renamed.text
        return await write(*args, **kwargs)

    monkeypatch.setattr(one_trip, "write", renamed_first)
    moved = await api.request(
        "POST",
        f"/tasks/{task['id']}/move",
        owner,
        json={"status_id": doing},
        headers={"If-Match": "*"},
    )
    monkeypatch.undo()

    assert moved.status_code == 200, moved.text
    assert len(calls) == 3  # the move, the rename, the move again from the renamed row
    body = moved.json()
    assert (body["title"], body["status_id"], body["version"]) == ("renamed meanwhile", doing, 3)
    async with state.database.session(write=False) as session:
        events = (
            await session.scalars(
                select(Event).where(Event.task_id == task["id"]).order_by(Event.seq)
            )
        ).all()
    assert [e.type for e in events] == ["task.created", "task.updated", "task.moved"]
    assert set(events[-1].changes) == {"status_id", "rank"}
    assert events[-1].snapshot is not None
    assert events[-1].snapshot["title"] == "renamed meanwhile"
    seqs = await _event_seqs(state, pid)
    assert seqs == list(range(1, len(seqs) + 1))
