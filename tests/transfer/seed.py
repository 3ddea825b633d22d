"""A project with something of everything, made through the API as people would make it."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from tests.support import Api, User


@dataclass(frozen=True)
class Seeded:
    owner: User
    people: list[User]
    project: dict[str, Any]


async def ok(api: Api, method: str, path: str, user: User, **kwargs: Any) -> Any:
    response = await api.request(method, path, user, **kwargs)
    assert response.status_code in (200, 201, 204), response.text
    return response.json() if response.content else None


async def rich_project(api: Api, key: str = "TRIP") -> Seeded:
    """Statuses added, renamed, reordered and one deleted; labels, one deleted after use;
    tasks in every column with people, priorities, labels, due dates, descriptions, parents,
    moves within and across columns, archived ones and a deleted one; comments edited and
    deleted; a member removed after being assigned work."""
    rng = random.Random(7)
    owner, alice, bob, carol = [await api.user() for _ in range(4)]
    project = await api.project(owner, "Round trip", key=key, description="ünïcode ✓\nline two")
    pid = project["id"]
    for who, role in ((alice, "admin"), (bob, "member"), (carol, "member")):
        await api.add_member(pid, owner, who, role)
    base = f"/projects/{pid}"

    qa = await ok(
        api, "POST", f"{base}/statuses", owner,
        json={"name": "QA", "category": "review", "wip_limit": 3, "position": 1},
    )  # fmt: skip
    temp = await ok(api, "POST", f"{base}/statuses", owner, json={"name": "Temporary"})
    statuses = {s["name"]: s["id"] for s in await api.statuses(owner, pid)}
    await ok(
        api, "PATCH", f"{base}/statuses/{statuses['In Review']}", owner, json={"name": "Review"}
    )
    await ok(api, "PATCH", f"{base}/statuses/{statuses['Done']}", owner, json={"position": 2})
    await ok(api, "PATCH", f"{base}/statuses/{statuses['Issue']}", owner, json={"wip_limit": 5})
    columns = [statuses[name] for name in ("Todo", "In Progress", "Done", "Issue")] + [qa["id"]]

    labels = {
        name: (await api.label(owner, pid, name))["id"]
        for name in ("bug", "ui", "backend", "docs", "doomed")
    }
    await ok(api, "PATCH", f"{base}/labels/{labels['ui']}", owner, json={"color": "#ABCDEF"})

    people = [None, alice.id, bob.id, carol.id]
    made: list[dict[str, Any]] = []
    for i in range(34):
        fields: dict[str, Any] = {
            "title": f"Task {i} {rng.choice(['login', 'board', 'ünïcode ✓', 'export'])}",
            "status_id": temp["id"] if i % 11 == 5 else rng.choice(columns),
            "priority": rng.choice(["none", "low", "medium", "high", "urgent"]),
            "labels": rng.sample(sorted(labels.values()), rng.randrange(3)),
        }
        if (assignee := rng.choice(people)) is not None:
            fields["assignee_id"] = assignee
        if i % 3 == 0:
            fields["description"] = f"Steps:\n1. open\n2. **click** {i}\n"
        if i % 4 == 0:
            fields["due_date"] = f"2027-0{1 + i % 9}-1{i % 10}"
        if i % 5 == 0:
            fields["estimate"] = i
        author = owner if i % 2 else alice
        made.append(await api.task(author, pid, **fields))

    async def patch(task: dict[str, Any], body: dict[str, Any], path: str = "") -> None:
        result = await ok(
            api, "POST" if path else "PATCH", f"/tasks/{task['id']}{path}", owner,
            json=body, headers={"If-Match": "*"},
        )  # fmt: skip
        task.update(result)

    for child, parent in ((3, 1), (4, 1), (7, 3), (12, 20), (2, 30)):
        await patch(made[child], {"parent_id": made[parent]["id"]})
    # moves: to the top of a column, between two tasks, to another column's end
    todo = [t for t in made if t["status_id"] == statuses["Todo"]]
    await patch(made[10], {"status_id": statuses["Todo"], "before_id": todo[0]["id"]}, "/move")
    await patch(made[11], {"status_id": statuses["Todo"], "after_id": todo[0]["id"]}, "/move")
    await patch(made[8], {"status_id": qa["id"]}, "/move")
    await patch(made[9], {"title": "Renamed task", "due_date": None, "priority": "urgent"})
    for task in (made[13], made[14], made[15]):
        await patch(task, {"archived": True})
    await patch(made[15], {"archived": False})
    await ok(api, "DELETE", f"{base}/labels/{labels['doomed']}", owner)
    await ok(
        api, "DELETE", f"{base}/statuses/{temp['id']}", owner,
        params={"move_to": statuses["In Progress"]},
    )  # fmt: skip
    await ok(api, "DELETE", f"/tasks/{made[33]['id']}", owner, headers={"If-Match": "*"})

    comments = []
    for i, task in enumerate(made[:12]):
        author = (owner, alice, bob)[i % 3]
        body = {"body": f"Comment {i}: **bold** ünïcode ✓"}
        comments.append(
            (author, await ok(api, "POST", f"/tasks/{task['id']}/comments", author, json=body))
        )
    edited_by, edited = comments[1]
    await ok(api, "PATCH", f"/comments/{edited['id']}", edited_by, json={"body": "Edited."})
    await ok(api, "DELETE", f"/comments/{comments[2][1]['id']}", owner)
    await ok(api, "PATCH", base, owner, json={"description": "Now described."})
    await ok(api, "PATCH", f"{base}/members/{bob.id}", owner, json={"role": "viewer"})
    await ok(api, "DELETE", f"{base}/members/{carol.id}", owner)
    return Seeded(owner=owner, people=[alice, bob, carol], project=project)
