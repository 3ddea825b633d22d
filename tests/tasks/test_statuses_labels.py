from __future__ import annotations

from tests.support import Api, assert_problem


async def test_add_rename_reorder_and_wip_limit(api: Api) -> None:
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    created = await api.request(
        "POST",
        f"/projects/{pid}/statuses",
        owner,
        json={"name": "QA", "category": "review", "wip_limit": 3, "position": 1},
    )
    assert created.status_code == 201, created.text
    qa = created.json()
    assert (qa["position"], qa["wip_limit"], qa["count"]) == (1, 3, 0)
    names = [s["name"] for s in await api.statuses(owner, pid)]
    assert names == ["Todo", "QA", "In Progress", "In Review", "Issue", "Done"]
    assert [s["position"] for s in await api.statuses(owner, pid)] == [0, 1, 2, 3, 4, 5]

    moved = await api.request(
        "PATCH",
        f"/projects/{pid}/statuses/{qa['id']}",
        owner,
        json={"name": "Testing", "position": 5, "clear_wip_limit": True},
    )
    assert moved.status_code == 200
    assert moved.json()["wip_limit"] is None
    names = [s["name"] for s in await api.statuses(owner, pid)]
    assert names == ["Todo", "In Progress", "In Review", "Issue", "Done", "Testing"]

    duplicate = await api.request(
        "PATCH", f"/projects/{pid}/statuses/{qa['id']}", owner, json={"name": "Done"}
    )
    assert_problem(duplicate, 409)
    assert_problem(
        await api.request("POST", f"/projects/{pid}/statuses", owner, json={"name": "Todo"}), 409
    )
    assert_problem(
        await api.request(
            "POST", f"/projects/{pid}/statuses", owner, json={"name": "X", "category": "later"}
        ),
        422,
    )


async def test_delete_needs_empty_or_a_target(api: Api) -> None:
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    todo, doing = (s["id"] for s in (await api.statuses(owner, pid))[:2])
    await api.task(owner, pid, title="left behind", status_id=todo)
    await api.task(owner, pid, title="already there", status_id=doing)

    assert_problem(await api.request("DELETE", f"/projects/{pid}/statuses/{todo}", owner), 409)
    assert_problem(
        await api.request(
            "DELETE", f"/projects/{pid}/statuses/{todo}", owner, params={"move_to": todo}
        ),
        422,
    )
    assert_problem(
        await api.request(
            "DELETE", f"/projects/{pid}/statuses/{todo}", owner, params={"move_to": 999}
        ),
        404,
    )
    deleted = await api.request(
        "DELETE", f"/projects/{pid}/statuses/{todo}", owner, params={"move_to": doing}
    )
    assert deleted.status_code == 204
    statuses = await api.statuses(owner, pid)
    assert [s["name"] for s in statuses] == ["In Progress", "In Review", "Issue", "Done"]
    assert statuses[0]["count"] == 2
    page = await api.request("GET", f"/projects/{pid}/tasks", owner, params={"status": doing})
    assert [t["title"] for t in page.json()["items"]] == ["already there", "left behind"]


async def test_last_status_cannot_be_deleted(api: Api) -> None:
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    statuses = [s["id"] for s in await api.statuses(owner, pid)]
    for status_id in statuses[:-1]:
        response = await api.request("DELETE", f"/projects/{pid}/statuses/{status_id}", owner)
        assert response.status_code == 204
    assert_problem(
        await api.request("DELETE", f"/projects/{pid}/statuses/{statuses[-1]}", owner), 409
    )


async def test_labels(api: Api) -> None:
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    bug = await api.label(owner, pid, "bug")
    custom = await api.request(
        "POST", f"/projects/{pid}/labels", owner, json={"name": "ux", "color": "#AABBCC"}
    )
    assert custom.json()["color"] == "#aabbcc"
    assert bug["color"].startswith("#")
    listed = await api.request("GET", f"/projects/{pid}/labels", owner)
    assert [label["name"] for label in listed.json()] == ["bug", "ux"]
    assert_problem(
        await api.request("POST", f"/projects/{pid}/labels", owner, json={"name": "bug"}), 409
    )
    assert_problem(
        await api.request(
            "POST", f"/projects/{pid}/labels", owner, json={"name": "x", "color": "blue"}
        ),
        422,
    )


async def test_rename_and_recolour_a_label(api: Api) -> None:
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    bug = await api.label(owner, pid, "bug")
    await api.label(owner, pid, "ux")
    task = await api.task(owner, pid, title="Crash", labels=[bug["id"]])
    path = f"/projects/{pid}/labels/{bug['id']}"

    renamed = await api.request("PATCH", path, owner, json={"name": "defect", "color": "#00AA00"})
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["name"], renamed.json()["color"]) == ("defect", "#00aa00")
    assert_problem(await api.request("PATCH", path, owner, json={"name": "ux"}), 409)
    assert_problem(await api.request("PATCH", path, owner, json={"color": "green"}), 422)
    assert_problem(
        await api.request("PATCH", f"/projects/{pid}/labels/999999", owner, json={}), 404
    )
    names = [
        lb["name"] for lb in (await api.request("GET", f"/projects/{pid}/labels", owner)).json()
    ]
    assert names == ["defect", "ux"]
    kept = await api.request("GET", f"/tasks/{task['id']}", owner)
    assert (kept.json()["labels"], kept.json()["version"]) == ([bug["id"]], task["version"])

    events = (await api.request("GET", f"/projects/{pid}/activity", owner)).json()["items"]
    assert events[-1]["type"] == "label.updated"
    assert events[-1]["changes"] == {"name": ["bug", "defect"], "color": [bug["color"], "#00aa00"]}


async def test_deleting_a_label_takes_it_off_every_task_with_one_event_each(api: Api) -> None:
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    bug, ux = await api.label(owner, pid, "bug"), await api.label(owner, pid, "ux")
    both = await api.task(owner, pid, title="Both", labels=[bug["id"], ux["id"]])
    only = await api.task(owner, pid, title="Only bug", labels=[bug["id"]])
    other = await api.task(owner, pid, title="Only ux", labels=[ux["id"]])
    archived = await api.task(owner, pid, title="Archived bug", labels=[bug["id"]])
    await api.request(
        "PATCH",
        f"/tasks/{archived['id']}",
        owner,
        json={"archived": True},
        headers={"If-Match": "*"},
    )
    before = (await api.request("GET", f"/projects/{pid}/activity", owner)).json()["items"][-1]

    deleted = await api.request("DELETE", f"/projects/{pid}/labels/{bug['id']}", owner)
    assert deleted.status_code == 204, deleted.text

    tasks = {}
    for archived_too in ("false", "true"):
        listed = await api.request(
            "GET", f"/projects/{pid}/tasks", owner, params={"archived": archived_too}
        )
        tasks.update({t["title"]: t for t in listed.json()["items"]})
    assert tasks["Both"]["labels"] == [ux["id"]]
    assert tasks["Only bug"]["labels"] == []
    assert tasks["Only ux"]["labels"] == [ux["id"]]
    assert tasks["Archived bug"]["labels"] == []
    assert tasks["Both"]["version"] == both["version"] + 1
    assert tasks["Only ux"]["version"] == other["version"]
    events = (
        await api.request(
            "GET", f"/projects/{pid}/activity", owner, params={"after": before["seq"]}
        )
    ).json()["items"]
    assert [e["seq"] for e in events] == list(range(before["seq"] + 1, before["seq"] + 5))
    assert [e["type"] for e in events] == ["task.updated"] * 3 + ["label.deleted"]
    assert {e["task_id"] for e in events[:3]} == {both["id"], only["id"], archived["id"]}
    assert events[0]["changes"] == {"labels": [[bug["id"], ux["id"]], [ux["id"]]]}
    labels = (await api.request("GET", f"/projects/{pid}/labels", owner)).json()
    assert [lb["name"] for lb in labels] == ["ux"]
    assert_problem(await api.request("DELETE", f"/projects/{pid}/labels/{bug['id']}", owner), 404)
    filtered = await api.request(
        "GET", f"/projects/{pid}/tasks", owner, params={"label": bug["id"]}
    )
    assert filtered.json()["items"] == []


async def test_an_archived_projects_labels_stay_and_the_document_says_409(api: Api) -> None:
    """Found by the fuzzer's status_code_conformance check: the 409 was undeclared."""
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    label = await api.label(owner, pid, "bug")
    archive = await api.request("PATCH", f"/projects/{pid}", owner, json={"archived": True})
    assert archive.status_code == 200, archive.text
    deleted = await api.request("DELETE", f"/projects/{pid}/labels/{label['id']}", owner)
    assert_problem(deleted, 409)
    assert (await api.request("GET", f"/projects/{pid}/labels", owner)).json() == [label]
    document = (await api.client.get("/openapi.json")).json()
    declared = document["paths"]["/api/v1/projects/{project_id}/labels/{label_id}"]["delete"]
    assert "409" in declared["responses"]
