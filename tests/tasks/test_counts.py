"""A filtered board's counts: how many tasks match the task list's filters, by status."""

from __future__ import annotations

from collections import Counter
from typing import Any

from tests.support import Api, StatementCounter, assert_problem
from tests.tasks.test_search import _all_pages, _seeded


async def test_counts_agree_with_the_list_under_every_filter(
    api: Api, statements: StatementCounter
) -> None:
    owner, dev, pid, ids = await _seeded(api)
    await api.request(
        "PATCH", f"/tasks/{(await api.task(owner, pid, title='Crash, archived'))['id']}",
        owner, json={"archived": True}, headers={"If-Match": "*"},
    )  # fmt: skip
    filters: list[dict[str, Any]] = [
        {},
        {"assignee": dev.id},
        {"unassigned": "true"},
        {"assignee": dev.id, "unassigned": "true"},
        {"label": [ids["bug"], ids["ui"]]},
        {"label": ids["bug"]},
        {"priority": ["urgent", "high"]},
        {"due_before": "2027-01-15"},
        {"due_after": "2027-01-15"},
        {"status": ids["statuses"][0]},
        {"q": "crash"},
        {"q": "crash", "label": ids["bug"]},
        {"q": "nothing-like-this"},
        {"archived": "true"},
        {"reporter": dev.id},
    ]
    for params in filters:
        listed = Counter(t["status_id"] for t in await _all_pages(api, owner, pid, **params))
        statements.reset()
        response = await api.request("GET", f"/projects/{pid}/tasks/counts", owner, params=params)
        assert response.status_code == 200, response.text
        assert statements.count == 1, (params, statements.statements)
        body = response.json()
        assert {c["status_id"]: c["count"] for c in body["items"]} == dict(listed), params
        assert body["total"] == sum(listed.values()), params
    crash = await api.request("GET", f"/projects/{pid}/tasks/counts", dev, params={"q": "crash"})
    assert crash.json()["total"] == 3  # two live tasks and the description; not the archived one


async def test_counts_are_refused_as_the_list_is(api: Api) -> None:
    owner, outsider = await api.user(), await api.user()
    pid = (await api.project(owner))["id"]
    path = f"/projects/{pid}/tasks/counts"
    assert_problem(await api.request("GET", path, outsider), 404)
    assert_problem(await api.request("GET", path), 401)
    for bad in ({"limit": 5}, {"sort": "rank"}, {"status": "x"}, {"q": "x" * 201}):
        assert_problem(await api.request("GET", path, owner, params=bad), 422)
