from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import update

from laneway.idempotency import RETENTION
from laneway.models import IdempotencyKey
from laneway.models.base import utcnow
from laneway.state import AppState
from tests.support import Api, assert_problem


async def test_same_key_and_body_replays_byte_for_byte(api: Api) -> None:
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    headers = {"Idempotency-Key": "k-1"}
    first = await api.request(
        "POST", f"/projects/{pid}/tasks", owner, json={"title": "once"}, headers=headers
    )
    again = await api.request(
        "POST", f"/projects/{pid}/tasks", owner, json={"title": "once"}, headers=headers
    )
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    listed = await api.request("GET", f"/projects/{pid}/tasks", owner)
    assert len(listed.json()["items"]) == 1


async def test_same_key_different_body_is_refused(api: Api) -> None:
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    headers = {"Idempotency-Key": "k-2"}
    await api.request("POST", f"/projects/{pid}/tasks", owner, json={"title": "a"}, headers=headers)
    other = await api.request(
        "POST", f"/projects/{pid}/tasks", owner, json={"title": "b"}, headers=headers
    )
    assert_problem(other, 422)
    # a valid request to another route with the same key is another request: refused too
    elsewhere = await api.request(
        "POST", f"/projects/{pid}/labels", owner, json={"name": "a"}, headers=headers
    )
    assert "Idempotency-Key" in assert_problem(elsewhere, 422)["detail"]
    listed = await api.request("GET", f"/projects/{pid}/tasks", owner)
    assert [t["title"] for t in listed.json()["items"]] == ["a"]
    assert (await api.request("GET", f"/projects/{pid}/labels", owner)).json() == []


async def test_keys_belong_to_one_user(api: Api) -> None:
    alice, bob = await api.user(), await api.user()
    pid = (await api.project(alice))["id"]
    await api.add_member(pid, alice, bob, "member")
    headers = {"Idempotency-Key": "shared"}
    a = await api.request(
        "POST", f"/projects/{pid}/tasks", alice, json={"title": "x"}, headers=headers
    )
    b = await api.request(
        "POST", f"/projects/{pid}/tasks", bob, json={"title": "x"}, headers=headers
    )
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]


async def test_failed_requests_store_nothing(api: Api) -> None:
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    headers = {"Idempotency-Key": "k-3"}
    bad = await api.request(
        "POST",
        f"/projects/{pid}/tasks",
        owner,
        json={"title": "x", "status_id": 999},
        headers=headers,
    )
    assert_problem(bad, 422)
    good = await api.request(
        "POST", f"/projects/{pid}/tasks", owner, json={"title": "x"}, headers=headers
    )
    assert good.status_code == 201
    assert_problem(
        await api.request(
            "POST",
            f"/projects/{pid}/tasks",
            owner,
            json={"title": "x"},
            headers={"Idempotency-Key": ""},
        ),
        422,
    )


async def test_project_and_member_creation_are_idempotent(api: Api) -> None:
    owner, other = await api.user(), await api.user()
    headers = {"Idempotency-Key": "p-1"}
    first = await api.request("POST", "/projects", owner, json={"name": "Once"}, headers=headers)
    again = await api.request("POST", "/projects", owner, json={"name": "Once"}, headers=headers)
    assert first.content == again.content
    assert len((await api.request("GET", "/projects", owner)).json()) == 1
    pid = first.json()["id"]
    body = {"email": other.email, "role": "viewer"}
    headers = {"Idempotency-Key": "m-1"}
    added = await api.request("POST", f"/projects/{pid}/members", owner, json=body, headers=headers)
    replay = await api.request(
        "POST", f"/projects/{pid}/members", owner, json=body, headers=headers
    )
    assert added.status_code == replay.status_code == 201


async def test_a_key_past_its_retention_is_a_new_request(api: Api, state: AppState) -> None:
    owner = await api.user()
    pid = (await api.project(owner))["id"]

    async def create(title: str, key: str) -> httpx.Response:
        return await api.request(
            "POST",
            f"/projects/{pid}/tasks",
            owner,
            json={"title": title},
            headers={"Idempotency-Key": key},
        )

    assert (await create("a", "k-same")).status_code == 201
    assert (await create("b", "k-other")).status_code == 201
    async with state.database.transaction() as session:  # both records age past 48 h
        await session.execute(
            update(IdempotencyKey).values(created_at=utcnow() - RETENTION - timedelta(minutes=1))
        )
    same = await create("a", "k-same")  # the same body: a new request, done again
    assert same.status_code == 201
    assert "idempotent-replayed" not in same.headers
    other = await create("c", "k-other")  # another body: a new request, not a 422
    assert other.status_code == 201, other.text
    replay = await create("a", "k-same")  # the key now stands for its new answer
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.content == same.content
    listed = await api.request("GET", f"/projects/{pid}/tasks", owner)
    assert sorted(t["title"] for t in listed.json()["items"]) == ["a", "a", "b", "c"]
