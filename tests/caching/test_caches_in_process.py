"""The per-process caches (caches.py) and the board read answered from them
(board/fast_path.py): what this process commits shows at once, and nothing cached reaches
anyone it should not."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import update

from laneway.models import ApiToken
from laneway.models.base import utcnow
from laneway.state import AppState
from tests.support import Api, StatementCounter, assert_problem


async def test_a_warm_board_and_its_304_need_no_statement_and_match_the_route(
    api: Api, state: AppState, statements: StatementCounter
) -> None:
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    await api.task(owner, pid)
    rendered = await api.request("GET", f"/projects/{pid}/board", owner)  # by the route
    statements.reset()
    warm = await api.request("GET", f"/projects/{pid}/board", owner)
    same = await api.request(
        "GET", f"/projects/{pid}/board", owner, headers={"If-None-Match": warm.headers["etag"]}
    )
    assert statements.count == 0, statements.statements
    assert warm.status_code == 200
    assert warm.content == rendered.content
    per_request = {"x-request-id", "ratelimit"}  # the remaining allowance goes down
    assert {k: v for k, v in warm.headers.items() if k not in per_request} == {
        k: v for k, v in rendered.headers.items() if k not in per_request
    }
    assert same.status_code == 304
    assert same.headers["etag"] == warm.headers["etag"]
    assert same.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"


async def test_the_writer_reads_its_own_write(api: Api) -> None:
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    before = await api.request("GET", f"/projects/{pid}/board", owner)
    created = await api.task(owner, pid, title="mine")
    after = await api.request(
        "GET", f"/projects/{pid}/board", owner, headers={"If-None-Match": before.headers["etag"]}
    )
    assert after.status_code == 200
    assert after.json()["seq"] > before.json()["seq"]
    assert created["id"] in [t["id"] for c in after.json()["columns"] for t in c["tasks"]]
    label = await api.label(owner, pid, "fresh")
    board = await api.request("GET", f"/projects/{pid}/board", owner)
    assert [lb["name"] for lb in board.json()["labels"]] == [label["name"]]


async def test_a_cached_board_never_reaches_a_non_member_or_another_project(api: Api) -> None:
    owner, stranger = await api.user(), await api.user()
    secret = (await api.project(owner, name="Secret"))["id"]
    own = (await api.project(stranger, name="Own"))["id"]
    await api.task(stranger, own)  # its board's version differs from the other's
    board = await api.request("GET", f"/projects/{secret}/board", owner)  # rendered, cached
    etag = board.headers["etag"]
    for headers in ({}, {"If-None-Match": etag}):
        assert_problem(
            await api.request("GET", f"/projects/{secret}/board", stranger, headers=headers), 404
        )
    mine = await api.request(
        "GET", f"/projects/{own}/board", stranger, headers={"If-None-Match": etag}
    )
    assert mine.status_code == 200
    assert mine.json()["project_id"] == own


async def test_a_removed_member_and_a_signed_out_token_lose_the_board_at_once(
    api: Api, state: AppState
) -> None:
    owner, member = await api.user(), await api.user()
    pid = (await api.project(owner))["id"]
    await api.add_member(pid, owner, member, "member")
    board = await api.request("GET", f"/projects/{pid}/board", member)
    etag = board.headers["etag"]
    assert (
        await api.request("GET", f"/projects/{pid}/board", member, headers={"If-None-Match": etag})
    ).status_code == 304

    removed = await api.request("DELETE", f"/projects/{pid}/members/{member.id}", owner)
    assert removed.status_code == 204, removed.text
    assert_problem(
        await api.request("GET", f"/projects/{pid}/board", member, headers={"If-None-Match": etag}),
        404,
    )

    assert (await api.request("GET", f"/projects/{pid}/board", owner)).status_code == 200
    assert (await api.request("POST", "/auth/logout", owner)).status_code == 204
    assert_problem(await api.request("GET", f"/projects/{pid}/board", owner), 401)


async def test_a_cached_token_that_expires_is_refused(api: Api, state: AppState) -> None:
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    assert (await api.request("GET", f"/projects/{pid}/board", owner)).status_code == 200
    assert state.caches.tokens  # the token is cached: the expiry is checked on each use
    # a second: room for a request on a busy machine, then the wait for the expiry
    expires = utcnow() + timedelta(seconds=1)
    async with state.database.transaction() as session:
        await session.execute(
            update(ApiToken).where(ApiToken.user_id == owner.id).values(expires_at=expires)
        )
    cached = next(a for a in state.caches.tokens.values() if a.user.id == owner.id)
    # the cache holds the row as it was: the age limit decides when the change is seen
    assert cached.token.expires_at is not None
    assert cached.token.expires_at > utcnow() + timedelta(days=1)
    state.caches.tokens.clear()  # as after LANEWAY_CACHE_SECONDS
    assert (await api.request("GET", f"/projects/{pid}/board", owner)).status_code == 200
    await asyncio.sleep((expires - utcnow()).total_seconds() + 0.05)
    body = assert_problem(await api.request("GET", f"/projects/{pid}/board", owner), 401)
    assert "expired" in body["detail"]
