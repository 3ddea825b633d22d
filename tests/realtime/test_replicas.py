"""Several real app processes on one PostgreSQL and one Redis: a write on one replica reaches
viewers on the others, and a Redis outage loses nothing (viewers resume from the event log)."""

from __future__ import annotations

import asyncio
import os
import random
import time

import pytest

from laneway.realtime.client import follow
from tests.replicas import RedisServer
from tests.support import Api

pytestmark = pytest.mark.skipif(
    "postgresql" not in os.environ.get("LANEWAY_TEST_BACKENDS", "sqlite,postgresql"),
    reason="replicas share PostgreSQL",
)


@pytest.mark.parametrize("replicas", [0.5], indirect=True)
async def test_redis_down_for_ten_seconds_loses_nothing(
    replicas: list[str], apis: list[Api], redis_server: RedisServer
) -> None:
    owner = await apis[0].user()
    pid = (await apis[0].project(owner))["id"]
    start = 2  # project.created, member.added
    statuses: list[int] = []
    seen: list[list[int]] = [[], []]
    final = 0

    async def write(number: int) -> None:
        response = await apis[number % 2].request(
            "POST", f"/projects/{pid}/tasks", owner, json={"title": f"w{number}"}
        )
        statuses.append(response.status_code)

    async def watch(base: str, into: list[int]) -> None:
        async for event in follow(base, pid, owner.token, after=start):
            into.append(event["seq"])
            if final and event["seq"] >= final:
                return

    viewers = [
        asyncio.create_task(watch(base, into)) for base, into in zip(replicas, seen, strict=True)
    ]
    for _ in range(20):
        await write(len(statuses))
    redis_server.kill()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # ten seconds of writes with Redis gone
        await write(len(statuses))
        await asyncio.sleep(0.05)
    redis_server.start()
    for _ in range(20):
        await write(len(statuses))
    final = start + len(statuses)
    async with asyncio.timeout(30):
        while not all(into and into[-1] >= final for into in seen):  # noqa: ASYNC110 - polling two lists
            await asyncio.sleep(0.1)
    for viewer in viewers:
        viewer.cancel()
    assert set(statuses) == {201}  # no writer saw an error
    for into in seen:
        assert into == list(range(start + 1, final + 1))  # none missing, none twice


@pytest.mark.parametrize("replicas", [1.0], indirect=True)
async def test_ten_thousand_events_to_viewers_hopping_between_replicas(
    replicas: list[str], apis: list[Api]
) -> None:
    owner = await apis[0].user()
    pid = (await apis[0].project(owner))["id"]
    tasks = [(await apis[i % 2].task(owner, pid))["id"] for i in range(100)]
    start = 2 + len(tasks)
    rounds = 100  # each bulk archive or restore of 100 tasks appends 100 events: 10,000
    final = start + rounds * len(tasks)

    async def viewer(seed: int) -> list[int]:
        rng = random.Random(seed)
        seen: list[int] = []
        last = start
        while last < final:
            # every reconnect lands on a random replica, as behind a load balancer
            stream = follow(rng.choice(replicas), pid, owner.token, after=last)
            try:
                for _ in range(rng.randint(1, 1500)):
                    event = await asyncio.wait_for(anext(stream), 20)
                    seen.append(event["seq"])
                    last = event["seq"]
                    if last == final:
                        break
            finally:
                await stream.aclose()
        return seen

    async def writer() -> None:
        for i in range(rounds):
            response = await apis[i % 2].request(
                "POST",
                f"/projects/{pid}/tasks/bulk",
                owner,
                json={"task_ids": tasks, "action": "archive" if i % 2 == 0 else "restore"},
            )
            assert response.status_code == 200, response.text

    results = await asyncio.gather(writer(), *(viewer(seed) for seed in range(4)))
    for seen in results[1:]:
        assert seen == list(range(start + 1, final + 1))  # none missing, none twice, in order
