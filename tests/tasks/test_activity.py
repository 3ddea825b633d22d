"""The event log: one event per committed change, none for a rolled-back one, no gaps."""

from __future__ import annotations

from typing import Any

from tests.support import Api, assert_problem


async def _activity(api: Api, user: Any, pid: int, after: int = 0) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        page = await api.request(
            "GET", f"/projects/{pid}/activity", user, params={"after": after, "limit": 7}
        )
        assert page.status_code == 200
        body = page.json()
        items.extend(body["items"])
        if body["next_after"] is None:
            return items
        after = body["next_after"]


async def test_every_change_has_exactly_one_event(api: Api) -> None:
    owner, teammate = await api.user(), await api.user()
    pid = (await api.project(owner, key="LOG"))["id"]
    await api.add_member(pid, owner, teammate, "member")
    label = await api.label(owner, pid, "bug")
    task = await api.task(owner, pid, title="Write docs", labels=[label["id"]])
    doing = (await api.statuses(owner, pid))[1]["id"]
    await api.request(
        "PATCH",
        f"/tasks/{task['id']}",
        owner,
        json={"title": "Write the docs"},
        headers={"If-Match": '"v1"'},
    )
    await api.request(
        "POST",
        f"/tasks/{task['id']}/move",
        owner,
        json={"status_id": doing},
        headers={"If-Match": '"v2"'},
    )
    comment = await api.request(
        "POST", f"/tasks/{task['id']}/comments", teammate, json={"body": "on it"}
    )
    await api.request("PATCH", f"/comments/{comment.json()['id']}", teammate, json={"body": "done"})
    await api.request("PATCH", f"/projects/{pid}", owner, json={"name": "Logbook"})

    events = await _activity(api, owner, pid)
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert [e["type"] for e in events] == [
        "project.created",
        "member.added",
        "member.added",
        "label.created",
        "task.created",
        "task.updated",
        "task.moved",
        "comment.created",
        "comment.updated",
        "project.updated",
    ]
    updated = events[5]
    assert updated["actor_id"] == owner.id
    assert updated["changes"] == {"title": ["Write docs", "Write the docs"]}
    assert updated["snapshot"]["title"] == "Write the docs"
    assert updated["snapshot"]["number"] == "LOG-1"
    moved = events[6]
    assert moved["changes"]["status_id"][1] == doing
    assert set(moved["changes"]) <= {"status_id", "rank"}

    per_task = await api.request("GET", f"/tasks/{task['id']}/activity", owner)
    assert [e["type"] for e in per_task.json()["items"]] == [
        "task.created",
        "task.updated",
        "task.moved",
        "comment.created",
        "comment.updated",
    ]
    assert [e["seq"] for e in await _activity(api, owner, pid, after=8)] == [9, 10]


async def test_rejected_requests_leave_no_event(api: Api) -> None:
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    task = await api.task(owner, pid)
    before = await _activity(api, owner, pid)
    for method, path, body, headers in (
        ("PATCH", f"/tasks/{task['id']}", {"title": "x"}, {"If-Match": '"v9"'}),
        ("PATCH", f"/tasks/{task['id']}", {"labels": [999]}, {"If-Match": '"v1"'}),
        ("POST", f"/tasks/{task['id']}/move", {"status_id": 999}, {"If-Match": '"v1"'}),
        ("POST", f"/projects/{pid}/tasks", {"title": "x", "parent_id": 999}, {}),
        ("POST", f"/projects/{pid}/labels", {"name": "x", "color": "red"}, {}),
    ):
        response = await api.request(method, path, owner, json=body, headers=headers)
        assert 400 <= response.status_code < 500, (path, response.text)
    assert await _activity(api, owner, pid) == before


async def test_a_failure_after_writes_rolls_back_the_event_too(api: Api) -> None:
    """The parent check runs after the counter and the event are reserved: still nothing."""
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    parent = await api.task(owner, pid, title="parent")
    child = await api.task(owner, pid, title="child", parent_id=parent["id"])
    before = await _activity(api, owner, pid)
    cycle = await api.request(
        "PATCH",
        f"/tasks/{parent['id']}",
        owner,
        json={"parent_id": child["id"]},
        headers={"If-Match": '"v1"'},
    )
    body = assert_problem(cycle, 422)
    assert body["errors"][0]["loc"] == ["body", "parent_id"]
    self_parent = await api.request(
        "PATCH",
        f"/tasks/{parent['id']}",
        owner,
        json={"parent_id": parent["id"]},
        headers={"If-Match": '"v1"'},
    )
    assert_problem(self_parent, 422)
    has_children = await api.request(
        "DELETE", f"/tasks/{parent['id']}", owner, headers={"If-Match": '"v1"'}
    )
    assert_problem(has_children, 409)
    assert await _activity(api, owner, pid) == before
    # the next committed change still gets the next number
    await api.task(owner, pid, title="after")
    events = await _activity(api, owner, pid)
    assert events[-1]["seq"] == before[-1]["seq"] + 1
