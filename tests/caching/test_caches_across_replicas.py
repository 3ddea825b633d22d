"""Two app processes on one PostgreSQL: what one commits reaches the other's caches within
LANEWAY_CACHE_SECONDS (1 s), at once through Redis while it is up, and by the age limit when
it is not."""

from __future__ import annotations

import asyncio
import os
import time

import pytest

from deploy.local.services import RedisServer
from tests.support import Api, User

pytestmark = [
    pytest.mark.system,
    pytest.mark.skipif(
        "postgresql" not in os.environ.get("LANEWAY_TEST_BACKENDS", "sqlite,postgresql"),
        reason="replicas share PostgreSQL",
    ),
]
BOUND = 1.0  # LANEWAY_CACHE_SECONDS, the default
SLACK = 0.5  # the requests' own time on a loaded machine


async def _until(api: Api, user: User, path: str, wanted: int, *, etag: str | None = None) -> float:
    """Seconds until `path` answers `wanted` on that replica (failing past the bound)."""
    started = time.monotonic()
    headers = {"If-None-Match": etag} if etag else {}
    while True:
        response = await api.request("GET", path, user, headers=headers)
        waited = time.monotonic() - started
        if response.status_code == wanted:
            return waited
        assert waited <= BOUND + SLACK, f"{path} still {response.status_code} after {waited:.2f} s"
        await asyncio.sleep(0.02)


async def _warm(api: Api, user: User, pid: int) -> str:
    """The board read twice on that replica: token, role and rendered board cached there."""
    first = await api.request("GET", f"/projects/{pid}/board", user)
    again = await api.request(
        "GET", f"/projects/{pid}/board", user, headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304
    return str(first.headers["etag"])


async def test_a_change_on_one_replica_reaches_the_others_board(
    replicas: list[str], apis: list[Api]
) -> None:
    owner = await apis[0].user()
    pid = (await apis[0].project(owner))["id"]
    etag = await _warm(apis[1], owner, pid)
    created = await apis[0].task(owner, pid, title="from the other replica")
    waited = await _until(apis[1], owner, f"/projects/{pid}/board", 200, etag=etag)
    board = (await apis[1].request("GET", f"/projects/{pid}/board", owner)).json()
    assert created["id"] in [t["id"] for c in board["columns"] for t in c["tasks"]]
    assert waited <= BOUND


async def test_revoked_and_removed_on_one_replica_are_refused_on_the_other(
    replicas: list[str], apis: list[Api]
) -> None:
    owner, member = await apis[0].user(), await apis[0].user()
    pid = (await apis[0].project(owner))["id"]
    await apis[0].add_member(pid, owner, member, "member")
    etag = await _warm(apis[1], member, pid)
    await _warm(apis[1], owner, pid)

    removed = await apis[0].request("DELETE", f"/projects/{pid}/members/{member.id}", owner)
    assert removed.status_code == 204
    assert await _until(apis[1], member, f"/projects/{pid}/board", 404, etag=etag) <= BOUND

    assert (await apis[0].request("POST", "/auth/logout", owner)).status_code == 204
    assert await _until(apis[1], owner, f"/projects/{pid}/board", 401) <= BOUND


async def test_without_redis_the_age_limit_still_bounds_every_cache(
    replicas: list[str], apis: list[Api], redis_server: RedisServer
) -> None:
    owner, member = await apis[0].user(), await apis[0].user()
    pid = (await apis[0].project(owner))["id"]
    await apis[0].add_member(pid, owner, member, "member")
    redis_server.kill()  # no more word between the replicas
    etag = await _warm(apis[1], owner, pid)
    await _warm(apis[1], member, pid)

    await apis[0].task(owner, pid)
    assert await _until(apis[1], owner, f"/projects/{pid}/board", 200, etag=etag) <= BOUND + SLACK
    assert (await apis[0].request("POST", "/auth/logout", member)).status_code == 204
    assert await _until(apis[1], member, f"/projects/{pid}/board", 401) <= BOUND + SLACK
