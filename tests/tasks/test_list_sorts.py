"""The list view's sorts: number, title, status and assignee, each paged by keyset.

The text order is given by web/src/list/sort-corpus.json, which the web app's comparator is
tested against too: a row a live event brings lands where the server's next page would put it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support import Api, User
from tests.tasks.test_search import _all_pages

CORPUS = json.loads(
    (Path(__file__).parents[2] / "web/src/list/sort-corpus.json").read_text(encoding="utf-8")
)


async def _same_when_paged(api: Api, user: User, pid: int, sort: str) -> list[dict[str, Any]]:
    whole = await _all_pages(api, user, pid, sort=sort, limit=200)
    paged = await _all_pages(api, user, pid, sort=sort, limit=2)
    assert [t["id"] for t in paged] == [t["id"] for t in whole], sort
    return whole


async def test_titles_sort_in_code_point_order_with_ascii_folded(api: Api) -> None:
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    for title in CORPUS["titles"]:
        await api.task(owner, pid, title=title)

    ascending = await _same_when_paged(api, owner, pid, "title")
    assert [t["title"] for t in ascending] == CORPUS["titles_sorted"]
    descending = await _same_when_paged(api, owner, pid, "-title")
    assert [t["id"] for t in descending] == [t["id"] for t in reversed(ascending)]


async def test_assignees_sort_by_name_with_the_unassigned_last(api: Api) -> None:
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    names: dict[int, str] = {}
    for name in CORPUS["names"]:
        person = await api.user()
        renamed = await api.request("PATCH", "/me", person, json={"name": name})
        assert renamed.status_code == 200, renamed.text
        await api.add_member(pid, owner, person, "member")
        names[person.id] = name
    for person_id in names:
        await api.task(owner, pid, assignee_id=person_id)
    await api.task(owner, pid)
    await api.task(owner, pid)

    ascending = await _same_when_paged(api, owner, pid, "assignee")
    shown = [names.get(t["assignee_id"]) if t["assignee_id"] else None for t in ascending]
    assert shown == CORPUS["names_sorted_then_unassigned"]
    descending = await _same_when_paged(api, owner, pid, "-assignee")
    assert [t["id"] for t in descending] == [t["id"] for t in reversed(ascending)]


async def test_statuses_sort_in_the_workflow_order_and_follow_it(api: Api) -> None:
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    statuses = [s["id"] for s in await api.statuses(owner, pid)]
    made = [await api.task(owner, pid, status_id=statuses[i % 3]) for i in range(7)]

    ascending = await _same_when_paged(api, owner, pid, "status")
    assert [t["status_id"] for t in ascending] == sorted(
        (t["status_id"] for t in made), key=statuses.index
    )

    # the third status moves to the front of the workflow: its tasks now come first
    path = f"/projects/{pid}/statuses/{statuses[2]}"
    moved = await api.request("PATCH", path, owner, json={"position": 0})
    assert moved.status_code == 200, moved.text
    ascending = await _same_when_paged(api, owner, pid, "status")
    order = [statuses[2], statuses[0], statuses[1]]
    assert [t["status_id"] for t in ascending] == sorted(
        (t["status_id"] for t in made), key=order.index
    )
    descending = await _same_when_paged(api, owner, pid, "-status")
    assert [t["id"] for t in descending] == [t["id"] for t in reversed(ascending)]


async def test_numbers_sort_both_ways(api: Api) -> None:
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    made = [await api.task(owner, pid) for _ in range(5)]
    numbers = [t["number"] for t in made]
    assert [t["number"] for t in await _same_when_paged(api, owner, pid, "number")] == numbers
    assert [t["number"] for t in await _same_when_paged(api, owner, pid, "-number")] == numbers[
        ::-1
    ]
