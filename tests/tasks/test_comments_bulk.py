from __future__ import annotations

from laneway.tasks.schemas import MAX_LABELS
from tests.support import Api, User, assert_problem


async def test_comments_edit_own_delete_own_or_as_admin(api: Api) -> None:
    owner, alice, bob = await api.user(), await api.user(), await api.user()
    pid = (await api.project(owner))["id"]
    await api.add_member(pid, owner, alice, "member")
    await api.add_member(pid, owner, bob, "member")
    task = await api.task(owner, pid)
    url = f"/tasks/{task['id']}/comments"
    ids = []
    for i in range(5):
        posted = await api.request("POST", url, alice, json={"body": f"note {i}"})
        assert posted.status_code == 201
        ids.append(posted.json()["id"])

    first = await api.request("GET", url, bob, params={"limit": 2})
    second = await api.request(
        "GET", url, bob, params={"limit": 2, "cursor": first.json()["next_cursor"]}
    )
    third = await api.request(
        "GET", url, bob, params={"limit": 2, "cursor": second.json()["next_cursor"]}
    )
    seen = [c["id"] for page in (first, second, third) for c in page.json()["items"]]
    assert seen == ids
    assert third.json()["next_cursor"] is None

    assert_problem(await api.request("PATCH", f"/comments/{ids[0]}", bob, json={"body": "x"}), 403)
    edited = await api.request("PATCH", f"/comments/{ids[0]}", alice, json={"body": "fixed"})
    assert edited.json()["body"] == "fixed"
    assert_problem(await api.request("DELETE", f"/comments/{ids[0]}", bob), 403)
    assert (await api.request("DELETE", f"/comments/{ids[0]}", alice)).status_code == 204
    assert (await api.request("DELETE", f"/comments/{ids[1]}", owner)).status_code == 204
    remaining = await api.request("GET", url, bob)
    assert [c["id"] for c in remaining.json()["items"]] == ids[2:]
    assert_problem(await api.request("POST", url, alice, json={"body": ""}), 422)
    assert_problem(
        await api.request("GET", url, bob, params={"cursor": first.json()["next_cursor"] + "x"}),
        422,
    )


async def test_bulk_is_all_or_nothing(api: Api) -> None:
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    other = (await api.project(owner, name="Other"))["id"]
    statuses = [s["id"] for s in await api.statuses(owner, pid)]
    bug = await api.label(owner, pid, "bug")
    tasks = [(await api.task(owner, pid))["id"] for _ in range(6)]
    foreign = (await api.task(owner, other))["id"]
    url = f"/projects/{pid}/tasks/bulk"

    refused = await api.request(
        "POST", url, owner, json={"task_ids": [*tasks, foreign], "action": "archive"}
    )
    assert_problem(refused, 422)
    assert (await api.statuses(owner, pid))[0]["count"] == 6

    moved = await api.request(
        "POST", url, owner, json={"task_ids": tasks[:4], "action": "move", "status_id": statuses[4]}
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["updated"] == 4
    counts = [s["count"] for s in await api.statuses(owner, pid)]
    assert counts == [2, 0, 0, 0, 4]
    done = await api.request("GET", f"/projects/{pid}/tasks", owner, params={"status": statuses[4]})
    assert [t["id"] for t in done.json()["items"]] == tasks[:4]

    labelled = await api.request(
        "POST", url, owner, json={"task_ids": tasks, "action": "label", "add_labels": [bug["id"]]}
    )
    assert all(t["labels"] == [bug["id"]] for t in labelled.json()["items"])
    assigned = await api.request(
        "POST",
        url,
        owner,
        json={"task_ids": tasks[:2], "action": "assign", "assignee_id": owner.id},
    )
    assert [t["assignee_id"] for t in assigned.json()["items"]] == [owner.id, owner.id]
    archived = await api.request("POST", url, owner, json={"task_ids": tasks, "action": "archive"})
    assert archived.json()["updated"] == 6
    assert [s["count"] for s in await api.statuses(owner, pid)] == [0, 0, 0, 0, 0]
    restored = await api.request("POST", url, owner, json={"task_ids": tasks, "action": "restore"})
    assert restored.json()["updated"] == 6
    assert sum(s["count"] for s in await api.statuses(owner, pid)) == 6

    activity = await api.request("GET", f"/projects/{pid}/activity", owner, params={"limit": 500})
    kinds = [e["type"] for e in activity.json()["items"]]
    assert kinds.count("task.moved") == 4
    assert kinds.count("task.archived") == 6
    assert kinds.count("task.restored") == 6


async def test_bulk_limits_and_required_fields(api: Api) -> None:
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    task = (await api.task(owner, pid))["id"]
    url = f"/projects/{pid}/tasks/bulk"
    for body in (
        {"task_ids": list(range(1, 502)), "action": "archive"},
        {"task_ids": [], "action": "archive"},
        {"task_ids": [task], "action": "move"},
        {"task_ids": [task], "action": "label"},
        {"task_ids": [task], "action": "assign"},
        {"task_ids": [task], "action": "explode"},
        {"task_ids": [task], "action": "assign", "assignee_id": 424242},
    ):
        assert_problem(await api.request("POST", url, owner, json=body), 422)
    unassigned = await api.request(
        "POST", url, owner, json={"task_ids": [task], "action": "assign", "assignee_id": None}
    )
    assert unassigned.status_code == 200


async def test_bulk_labelling_keeps_the_label_cap(api: Api) -> None:
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    labels = [(await api.label(owner, pid, f"l{i}"))["id"] for i in range(MAX_LABELS + 1)]
    full = await api.task(owner, pid, labels=labels[:MAX_LABELS])
    light = await api.task(owner, pid)
    url = f"/projects/{pid}/tasks/bulk"
    last_seq = await _last_seq(api, owner, pid)

    refused = await api.request(
        "POST",
        url,
        owner,
        json={"task_ids": [light["id"], full["id"]], "action": "label", "add_labels": [labels[-1]]},
    )
    problem = assert_problem(refused, 422)
    assert [e["loc"] for e in problem["errors"]] == [["body", "add_labels"]]
    # nothing changed: not even the task that had room for the label
    for task in (full, light):
        now = (await api.request("GET", f"/tasks/{task['id']}", owner)).json()
        assert (now["labels"], now["version"]) == (task["labels"], task["version"])
    assert await _last_seq(api, owner, pid) == last_seq

    # a swap that stays within the cap is fine
    swapped = await api.request(
        "POST",
        url,
        owner,
        json={
            "task_ids": [full["id"]],
            "action": "label",
            "add_labels": [labels[-1]],
            "remove_labels": [labels[0]],
        },
    )
    assert swapped.status_code == 200, swapped.text
    assert swapped.json()["items"][0]["labels"] == sorted(labels[1:])


async def _last_seq(api: Api, user: User, pid: int) -> int:
    params = {"limit": 500}  # more than these tests write
    page = (await api.request("GET", f"/projects/{pid}/activity", user, params=params)).json()
    assert page["next_after"] is None
    return int(page["items"][-1]["seq"]) if page["items"] else 0
