"""Exactness under concurrent requests: numbers, counts, versions, idempotency, event log."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from laneway.activity import recorder
from laneway.models import Event, Project, ProjectCounter, Role, StatusCount, Task, User
from laneway.projects.access import ProjectAccess
from laneway.state import AppState
from laneway.statuses import service as status_service
from laneway.tasks import service as task_service
from laneway.tasks.schemas import TaskCreateIn
from tests.support import Api


async def _ground_truth(state: AppState, project_id: int) -> tuple[dict[int, int], dict[int, int]]:
    async with state.database.session(write=False) as session:
        truth = dict(
            (
                await session.execute(
                    select(Task.status_id, func.count())
                    .where(Task.project_id == project_id, Task.archived_at.is_(None))
                    .group_by(Task.status_id)
                )
            ).all()
        )
        kept = dict(
            (
                await session.execute(
                    select(StatusCount.status_id, StatusCount.count).where(
                        StatusCount.project_id == project_id
                    )
                )
            ).all()
        )
    return truth, {k: v for k, v in kept.items() if v}


async def _event_seqs(state: AppState, project_id: int) -> list[int]:
    async with state.database.session(write=False) as session:
        return list(
            await session.scalars(
                select(Event.seq).where(Event.project_id == project_id).order_by(Event.seq)
            )
        )


@pytest.mark.stress
async def test_concurrent_creates_get_unique_gap_free_numbers(api: Api, state: AppState) -> None:
    owner = await api.user()
    project = await api.project(owner, key="RACE")
    pid = project["id"]
    statuses = [s["id"] for s in await api.statuses(owner, pid)]

    async def create(i: int) -> int:
        response = await api.request(
            "POST",
            f"/projects/{pid}/tasks",
            owner,
            json={"title": f"t{i}", "status_id": statuses[i % len(statuses)]},
        )
        assert response.status_code == 201, response.text
        return int(response.json()["number"].removeprefix("RACE-"))

    numbers = await asyncio.gather(*(create(i) for i in range(200)))
    assert sorted(numbers) == list(range(1, 201))
    truth, kept = await _ground_truth(state, pid)
    assert kept == truth
    seqs = await _event_seqs(state, pid)
    assert seqs == list(range(1, len(seqs) + 1))


@pytest.mark.stress
async def test_random_concurrent_moves_archives_deletes_keep_counts_exact(
    api: Api, state: AppState
) -> None:
    rng = random.Random(7)
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    statuses = [s["id"] for s in await api.statuses(owner, pid)]
    tasks = [
        (await api.task(owner, pid, status_id=statuses[i % len(statuses)]))["id"] for i in range(60)
    ]

    async def operate(i: int) -> int:
        task_id = rng.choice(tasks)
        roll = rng.random()
        headers = {"If-Match": "*"}
        if roll < 0.65:
            response = await api.request(
                "POST",
                f"/tasks/{task_id}/move",
                owner,
                json={"status_id": rng.choice(statuses)},
                headers=headers,
            )
        elif roll < 0.95:
            response = await api.request(
                "PATCH",
                f"/tasks/{task_id}",
                owner,
                json={"archived": rng.random() < 0.5},
                headers=headers,
            )
        else:
            response = await api.request("DELETE", f"/tasks/{task_id}", owner, headers=headers)
        # 404: deleted by an earlier request; 409: moving an archived task
        assert response.status_code in (200, 204, 404, 409), response.text
        return response.status_code

    statuses_seen: Counter[int] = Counter()
    for batch in range(10):
        results = await asyncio.gather(*(operate(batch * 100 + i) for i in range(100)))
        statuses_seen.update(results)
    assert statuses_seen[200] > 400, statuses_seen
    truth, kept = await _ground_truth(state, pid)
    assert kept == truth
    seqs = await _event_seqs(state, pid)
    assert seqs == list(range(1, len(seqs) + 1))


@pytest.mark.stress
async def test_concurrent_patches_with_one_etag_give_one_winner(api: Api, state: AppState) -> None:
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    task = await api.task(owner, pid)

    async def patch(i: int) -> int:
        response = await api.request(
            "PATCH",
            f"/tasks/{task['id']}",
            owner,
            json={"title": f"writer {i}"},
            headers={"If-Match": '"v1"'},
        )
        return response.status_code

    results = Counter(await asyncio.gather(*(patch(i) for i in range(100))))
    assert results == {200: 1, 412: 99}
    final = (await api.request("GET", f"/tasks/{task['id']}", owner)).json()
    assert final["version"] == 2
    async with state.database.session(write=False) as session:
        updates = await session.scalar(
            select(func.count()).where(Event.task_id == task["id"], Event.type == "task.updated")
        )
    assert updates == 1
    # a write refused for its version commits nothing, not even the counter's increment
    seqs = await _event_seqs(state, pid)
    assert seqs == list(range(1, len(seqs) + 1))
    async with state.database.session(write=False) as session:
        counter = await session.scalar(
            select(ProjectCounter.event_seq).where(ProjectCounter.project_id == pid)
        )
    assert counter == seqs[-1]


async def test_concurrent_posts_with_one_idempotency_key_create_one_task(
    api: Api, state: AppState
) -> None:
    owner = await api.user()
    pid = (await api.project(owner))["id"]

    async def post() -> tuple[int, bytes]:
        response = await api.request(
            "POST",
            f"/projects/{pid}/tasks",
            owner,
            json={"title": "only once"},
            headers={"Idempotency-Key": "create-once-1"},
        )
        return response.status_code, response.content

    results = await asyncio.gather(*(post() for _ in range(50)))
    assert {status for status, _ in results} == {201}
    assert len({body for _, body in results}) == 1
    listed = await api.request("GET", f"/projects/{pid}/tasks", owner)
    assert [t["title"] for t in listed.json()["items"]] == ["only once"]
    seqs = await _event_seqs(state, pid)
    assert seqs == list(range(1, len(seqs) + 1))


async def _owner_access(state: AppState, project_id: int, user_id: int) -> ProjectAccess:
    async with state.database.transaction(write=False) as session:
        project, user = await session.get(Project, project_id), await session.get(User, user_id)
        assert project is not None
        assert user is not None
    return ProjectAccess.of(project, Role.owner, user)


async def test_a_task_created_just_before_a_status_delete_locks_moves_with_the_rest(
    api: Api, state: AppState, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    todo, doing = (s["id"] for s in (await api.statuses(owner, pid))[:2])
    await api.task(owner, pid, title="before", status_id=todo)
    reserve = recorder.reserve
    calls: list[int] = []

    async def another_writer_first(session: AsyncSession, project_id: int, **kw: int) -> Any:
        # Another request creates a task into the status, and commits, just before the delete
        # asks for the project's lock: whatever the delete read before that is stale.
        calls.append(project_id)
        if len(calls) == 1:
            await api.task(owner, pid, title="meanwhile", status_id=todo)
        return await reserve(session, project_id, **kw)

    monkeypatch.setattr(recorder, "reserve", another_writer_first)
    # the delete's own session, without the in-process SQLite writer queue that the request
    # would hold, so the other request can run in between
    access = await _owner_access(state, pid, owner.id)
    async with state.database.session() as session, session.begin():
        await status_service.delete_status(session, access, todo, move_to=doing)
    monkeypatch.undo()

    assert len(calls) > 1
    page = await api.request("GET", f"/projects/{pid}/tasks", owner, params={"status": doing})
    assert [t["title"] for t in page.json()["items"]] == ["before", "meanwhile"]
    assert (await api.statuses(owner, pid))[0]["count"] == 2
    seqs = await _event_seqs(state, pid)
    assert seqs == list(range(1, len(seqs) + 1))


async def test_a_status_delete_waits_for_a_writer_holding_the_lock(
    api: Api, state: AppState
) -> None:
    if state.database.is_sqlite:
        pytest.skip("SQLite has one writer at a time: the delete cannot start meanwhile")
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    todo, doing = (s["id"] for s in (await api.statuses(owner, pid))[:2])
    await api.task(owner, pid, title="before", status_id=todo)

    access = await _owner_access(state, pid, owner.id)
    async with state.database.session() as creator, creator.begin():
        body = TaskCreateIn(title="meanwhile", status_id=todo)
        await task_service.create_task(creator, access, body)  # holds the lock, uncommitted
        deleting = asyncio.create_task(
            api.request(
                "DELETE", f"/projects/{pid}/statuses/{todo}", owner, params={"move_to": doing}
            )
        )
        await _until_a_session_waits_for_a_lock(state)
    deleted = await deleting  # the task committed first: the delete moves it too

    assert deleted.status_code == 204, deleted.text
    page = await api.request("GET", f"/projects/{pid}/tasks", owner, params={"status": doing})
    assert [t["title"] for t in page.json()["items"]] == ["before", "meanwhile"]
    seqs = await _event_seqs(state, pid)
    assert seqs == list(range(1, len(seqs) + 1))


async def _until_a_session_waits_for_a_lock(state: AppState) -> None:
    """Until a session of this test's database waits for a lock (the delete, for the project's)."""
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    async with asyncio.timeout(10), state.database.engine.connect() as conn:
        while True:
            if await conn.scalar(waiting):
                return
            await conn.rollback()  # one transaction sees one snapshot of the statistics
            await asyncio.sleep(0.01)
