"""Several real app processes on one PostgreSQL and one Redis: a write on one replica reaches
viewers on the others, and a Redis outage loses nothing (viewers resume from the event log)."""

from __future__ import annotations

import asyncio
import os
import random

import pytest

from deploy.local.services import RedisServer
from laneway.realtime.client import follow
from tests.support import Api

pytestmark = [
    pytest.mark.system,
    pytest.mark.skipif(
        "postgresql" not in os.environ.get("LANEWAY_TEST_BACKENDS", "sqlite,postgresql"),
        reason="replicas share PostgreSQL",
    ),
]


# The breakers stay open 1 s instead of 5 s, so the outage holds eight open-and-try-again
# cycles per breaker (thirty seconds at the default setting) in eight seconds.
BREAKER_OPEN_SECONDS = 1.0
OUTAGE_SECONDS = 8 * BREAKER_OPEN_SECONDS
OUTAGE_SETTINGS = {
    "LANEWAY_LIVE_RELAY_INTERVAL_SECONDS": "0.5",
    "LANEWAY_REDIS_BREAKER_OPEN_SECONDS": str(BREAKER_OPEN_SECONDS),
}


@pytest.mark.parametrize("replicas", [OUTAGE_SETTINGS], indirect=True)
async def test_redis_down_for_eight_breaker_cycles_under_load_costs_no_error(
    replicas: list[str], apis: list[Api], redis_server: RedisServer
) -> None:
    """Writers, board readers and a live viewer per replica, through both replicas, while
    Redis is stopped for eight of the breakers' open-and-retry cycles: not one 5xx, readiness
    degraded meanwhile and ready after, and each viewer gets every event, in order, once."""
    owner = await apis[0].user()
    pid = (await apis[0].project(owner))["id"]
    start = 2  # project.created, member.added
    statuses: list[int] = []
    readiness: list[set[str]] = [set(), set()]
    seen: list[list[int]] = [[], []]
    writes = 0
    final = 0
    phase = "before"

    async def writer(number: int) -> None:
        nonlocal writes
        while phase != "done":
            response = await apis[number % 2].request(
                "POST", f"/projects/{pid}/tasks", owner, json={"title": f"w{number}"}
            )
            statuses.append(response.status_code)
            writes += response.status_code == 201
            await asyncio.sleep(0.02)

    async def reader(number: int) -> None:
        while phase != "done":
            response = await apis[number % 2].request("GET", f"/projects/{pid}/board", owner)
            statuses.append(response.status_code)
            await asyncio.sleep(0.02)

    async def probe(number: int) -> None:
        while phase != "done":
            response = await apis[number].client.get("/health/ready")
            statuses.append(response.status_code)
            readiness[number].add(f"{phase}:{response.json()['status']}")
            await asyncio.sleep(0.25)

    async def watch(base: str, into: list[int]) -> None:
        async for event in follow(base, pid, owner.token, after=start):
            into.append(event["seq"])
            if final and event["seq"] >= final:
                return

    viewers = [
        asyncio.create_task(watch(base, into)) for base, into in zip(replicas, seen, strict=True)
    ]
    load = [asyncio.create_task(writer(n)) for n in range(4)]
    load += [asyncio.create_task(reader(n)) for n in range(2)]
    load += [asyncio.create_task(probe(n)) for n in range(2)]
    await asyncio.sleep(3)
    redis_server.kill()
    phase = "during"
    await asyncio.sleep(OUTAGE_SECONDS)
    redis_server.start()
    phase = "after"
    async with asyncio.timeout(30):  # the breakers try Redis again within a second
        while not all("after:ready" in seen_states for seen_states in readiness):  # noqa: ASYNC110
            await asyncio.sleep(0.1)
    await asyncio.sleep(2)
    phase = "done"
    await asyncio.gather(*load)
    final = start + writes
    async with asyncio.timeout(30):
        while not all(into and into[-1] >= final for into in seen):  # noqa: ASYNC110 - polling two lists
            await asyncio.sleep(0.1)
    for viewer in viewers:
        viewer.cancel()
    assert not [code for code in statuses if code >= 500]
    assert set(statuses) <= {200, 201}
    assert writes > 100  # the load did run, through the outage
    for states in readiness:
        assert "before:ready" in states
        assert "during:degraded" in states
        assert "during:down" not in states
    for into in seen:
        assert into == list(range(start + 1, final + 1))  # none missing, none twice


@pytest.mark.parametrize("replicas", [{"LANEWAY_LIVE_RELAY_INTERVAL_SECONDS": "1"}], indirect=True)
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
