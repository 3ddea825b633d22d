"""Bad task input: a 4xx problem, and nothing changes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import Api, assert_problem


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"title": ""},
        {"title": "x" * 501},
        {"title": "x", "owner": 1},
        {"title": "x", "priority": "extreme"},
        {"title": "x", "priority": 3},
        {"title": "x", "due_date": "soon"},
        {"title": "x", "estimate": False},
        {"title": "x", "estimate": -1},
        {"title": "x", "status_id": "1"},
        {"title": "x", "labels": list(range(1, 60))},
        {"title": "x", "labels": [999]},
        {"title": "x", "status_id": 999},
        {"title": "x", "assignee_id": 999},
        {"title": "x", "parent_id": 999},
        {"title": 5},
    ],
)
async def test_create_refuses(api: Api, body: dict[str, Any]) -> None:
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    response = await api.request("POST", f"/projects/{pid}/tasks", owner, json=body)
    assert_problem(response, 422)
    listed = await api.request("GET", f"/projects/{pid}/tasks", owner)
    assert listed.json()["items"] == []
    assert all(s["count"] == 0 for s in await api.statuses(owner, pid))


async def test_patch_and_move_refuse(api: Api) -> None:
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    task = await api.task(owner, pid)
    doing = (await api.statuses(owner, pid))[1]["id"]
    url = f"/tasks/{task['id']}"
    for body in ({"archived": "yes"}, {"version": 3}, {"labels": None}, {"priority": None}):
        assert_problem(
            await api.request("PATCH", url, owner, json=body, headers={"If-Match": "*"}), 422
        )
    for headers in ({"If-Match": '"1"'}, {"If-Match": '"v9", "abc"'}, {"If-Match": 'W/"x"'}):
        assert_problem(  # well-formed, but no version of this task
            await api.request("PATCH", url, owner, json={"title": "y"}, headers=headers), 412
        )
    for malformed in ("v1", "garbage", '"v1', "", '"v1" "v2"', '*, "v1"'):
        for method, path, body in (
            ("PATCH", url, {"title": "y"}),
            ("POST", f"{url}/move", {"status_id": doing}),
            ("DELETE", url, None),
        ):
            response = await api.request(
                method, path, owner, json=body, headers={"If-Match": malformed}
            )
            problem = assert_problem(response, 400)
            assert problem["title"] == "Malformed If-Match", (method, malformed)
            assert 'If-Match: "v2"' in problem["detail"]
    for body in (
        {"status_id": doing, "after_id": task["id"]},
        {"status_id": doing, "after_id": 424242},
        {"status_id": 424242},
        {},
    ):
        response = await api.request(
            "POST", f"{url}/move", owner, json=body, headers={"If-Match": "*"}
        )
        assert_problem(response, 422)
    assert (await api.request("GET", url, owner)).json() == task
