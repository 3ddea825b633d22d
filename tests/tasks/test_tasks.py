from __future__ import annotations

import pytest

from laneway.tasks import ranks
from tests.support import Api, assert_problem


async def test_create_get_and_number(api: Api) -> None:
    owner = await api.user()
    project = await api.project(owner, key="WEB")
    pid = project["id"]
    statuses = await api.statuses(owner, pid)
    assert [s["name"] for s in statuses] == ["Todo", "In Progress", "In Review", "Issue", "Done"]
    assert [s["category"] for s in statuses] == [
        "unstarted",
        "started",
        "review",
        "blocked",
        "done",
    ]
    bug = await api.label(owner, pid, "bug")
    first = await api.task(owner, pid, title="First", labels=[bug["id"]], priority="high")
    second = await api.task(owner, pid, title="Second", due_date="2027-01-15", estimate=3)
    assert first["number"] == "WEB-1"
    assert second["number"] == "WEB-2"
    assert first["status_id"] == statuses[0]["id"]
    assert first["reporter_id"] == owner.id
    assert first["labels"] == [bug["id"]]
    assert first["priority"] == "high"
    assert first["version"] == 1
    assert second["due_date"] == "2027-01-15"
    assert first["rank"] < second["rank"]

    got = await api.request("GET", f"/tasks/{first['id']}", owner)
    assert got.status_code == 200
    assert got.headers["etag"] == '"v1"'
    assert got.json() == first
    not_modified = await api.request(
        "GET", f"/tasks/{first['id']}", owner, headers={"If-None-Match": '"v1"'}
    )
    assert not_modified.status_code == 304

    for ref in ("WEB-2", "web-2", "2"):
        by_number = await api.request("GET", f"/projects/{pid}/tasks/by-number/{ref}", owner)
        assert by_number.json()["id"] == second["id"], ref
    assert_problem(await api.request("GET", f"/projects/{pid}/tasks/by-number/OPS-2", owner), 404)
    assert_problem(await api.request("GET", f"/projects/{pid}/tasks/by-number/WEB-99", owner), 404)

    counts = {s["name"]: s["count"] for s in await api.statuses(owner, pid)}
    assert counts == {"Todo": 2, "In Progress": 0, "In Review": 0, "Issue": 0, "Done": 0}


async def test_patch_requires_if_match_and_rejects_stale(api: Api) -> None:
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    task = await api.task(owner, pid, title="Draft")
    url = f"/tasks/{task['id']}"

    assert_problem(await api.request("PATCH", url, owner, json={"title": "x"}), 428)
    updated = await api.request(
        "PATCH",
        url,
        owner,
        json={"title": "Final", "priority": "urgent"},
        headers={"If-Match": '"v1"'},
    )
    assert updated.status_code == 200, updated.text
    assert updated.headers["etag"] == '"v2"'
    assert updated.json()["title"] == "Final"
    assert updated.json()["version"] == 2

    stale = await api.request(
        "PATCH", url, owner, json={"title": "Lost"}, headers={"If-Match": '"v1"'}
    )
    assert_problem(stale, 412)
    assert (await api.request("GET", url, owner)).json()["title"] == "Final"

    forced = await api.request(
        "PATCH", url, owner, json={"description": "anyway"}, headers={"If-Match": "*"}
    )
    assert forced.status_code == 200
    assert forced.json()["version"] == 3


async def test_patch_clears_optional_fields(api: Api) -> None:
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    task = await api.task(owner, pid, assignee_id=owner.id, due_date="2027-02-01", estimate=5)
    cleared = await api.request(
        "PATCH",
        f"/tasks/{task['id']}",
        owner,
        json={"assignee_id": None, "due_date": None, "estimate": None},
        headers={"If-Match": '"v1"'},
    )
    body = cleared.json()
    assert (body["assignee_id"], body["due_date"], body["estimate"]) == (None, None, None)
    assert_problem(
        await api.request(
            "PATCH", f"/tasks/{task['id']}", owner, json={"title": None}, headers={"If-Match": "*"}
        ),
        422,
    )


async def test_move_between_neighbours_and_counts(api: Api) -> None:
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    todo, doing = (s["id"] for s in (await api.statuses(owner, pid))[:2])
    a = await api.task(owner, pid, title="a", status_id=doing)
    b = await api.task(owner, pid, title="b", status_id=doing)
    moving = await api.task(owner, pid, title="m")

    moved = await api.request(
        "POST",
        f"/tasks/{moving['id']}/move",
        owner,
        json={"status_id": doing, "after_id": a["id"], "before_id": b["id"]},
        headers={"If-Match": '"v1"'},
    )
    assert moved.status_code == 200, moved.text
    assert a["rank"] < moved.json()["rank"] < b["rank"]

    page = await api.request("GET", f"/projects/{pid}/tasks", owner, params={"status": doing})
    assert [t["title"] for t in page.json()["items"]] == ["a", "m", "b"]

    to_top = await api.request(
        "POST",
        f"/tasks/{b['id']}/move",
        owner,
        json={"status_id": doing, "before_id": a["id"]},
        headers={"If-Match": '"v1"'},
    )
    assert to_top.status_code == 200
    page = await api.request("GET", f"/projects/{pid}/tasks", owner, params={"status": doing})
    assert [t["title"] for t in page.json()["items"]] == ["b", "a", "m"]

    counts = {s["id"]: s["count"] for s in await api.statuses(owner, pid)}
    assert counts[todo] == 0
    assert counts[doing] == 3


async def test_archive_restore_and_delete_keep_counts(api: Api) -> None:
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    todo = (await api.statuses(owner, pid))[0]["id"]
    task = await api.task(owner, pid)
    other = await api.task(owner, pid)
    url = f"/tasks/{task['id']}"

    archived = await api.request(
        "PATCH", url, owner, json={"archived": True}, headers={"If-Match": '"v1"'}
    )
    assert archived.json()["archived_at"] is not None
    assert {s["id"]: s["count"] for s in await api.statuses(owner, pid)}[todo] == 1
    listed = await api.request("GET", f"/projects/{pid}/tasks", owner, params={"archived": "true"})
    assert [t["id"] for t in listed.json()["items"]] == [task["id"]]

    restored = await api.request(
        "PATCH", url, owner, json={"archived": False}, headers={"If-Match": '"v2"'}
    )
    assert restored.json()["archived_at"] is None
    assert restored.json()["rank"] > other["rank"]  # back at the end of its column
    assert {s["id"]: s["count"] for s in await api.statuses(owner, pid)}[todo] == 2

    assert_problem(await api.request("DELETE", url, owner), 428)
    assert_problem(await api.request("DELETE", url, owner, headers={"If-Match": '"v1"'}), 412)
    deleted = await api.request("DELETE", url, owner, headers={"If-Match": '"v3"'})
    assert deleted.status_code == 204
    assert_problem(await api.request("GET", url, owner), 404)
    assert {s["id"]: s["count"] for s in await api.statuses(owner, pid)}[todo] == 1


async def test_ranks_stay_short_when_one_gap_is_used_again_and_again(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a low threshold makes the rare case come quickly (48 characters take ~280 inserts)
    monkeypatch.setattr(ranks, "REBALANCE_AT", 6)
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    todo = (await api.statuses(owner, pid))[0]["id"]
    first = await api.task(owner, pid, title="first")
    await api.task(owner, pid, title="last")
    # always insert right after "first": the same gap gets narrower every time
    for i in range(60):
        task = await api.task(owner, pid, title=f"t{i}")
        moved = await api.request(
            "POST",
            f"/tasks/{task['id']}/move",
            owner,
            json={"status_id": todo, "after_id": first["id"]},
            headers={"If-Match": "*"},
        )
        assert moved.status_code == 200, moved.text
    page = await api.request("GET", f"/projects/{pid}/tasks", owner, params={"limit": 200})
    tasks = page.json()["items"]
    assert [t["title"] for t in tasks[:3]] == ["first", "t59", "t58"]
    assert max(len(t["rank"]) for t in tasks) <= 6
    assert len(tasks) == 62
    activity = await api.request("GET", f"/projects/{pid}/activity", owner, params={"limit": 500})
    assert "status.rebalanced" in [e["type"] for e in activity.json()["items"]]
