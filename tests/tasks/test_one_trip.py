"""Writes that take the project's lock in their one statement (PostgreSQL, explicit If-Match):
their reads happen before the lock, so these tests race them against other writers."""

from __future__ import annotations

import asyncio
import random
from collections import Counter

import pytest
from sqlalchemy import select

from laneway.labels import service as label_service
from laneway.models import Event, Task
from laneway.state import AppState
from tests.support import Api
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
