"""Filters, sorts, text search and keyset pagination of the task list."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects import sqlite

from laneway.state import AppState
from laneway.tasks import search
from laneway.tasks.search import TaskQuery
from tests.support import Api, User, assert_problem


async def _all_pages(api: Api, user: User, pid: int, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        page = await api.request("GET", f"/projects/{pid}/tasks", user, params=query)
        assert page.status_code == 200, page.text
        items.extend(page.json()["items"])
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return items


async def _seeded(api: Api) -> tuple[User, User, int, dict[str, Any]]:
    owner, dev = await api.user(), await api.user()
    pid = (await api.project(owner))["id"]
    await api.add_member(pid, owner, dev, "member")
    bug = await api.label(owner, pid, "bug")
    ui = await api.label(owner, pid, "ui")
    statuses = [s["id"] for s in await api.statuses(owner, pid)]
    titles = [
        ("Login page crashes on submit", dev.id, [bug["id"], ui["id"]], "urgent", "2027-01-10"),
        ("Logout button misplaced", dev.id, [ui["id"]], "low", "2027-02-01"),
        ("Database backup script", None, [], "medium", None),
        ("Crash report uploader", owner.id, [bug["id"]], "high", "2027-01-20"),
        ("Write release notes", None, [], "none", "2026-12-24"),
    ]
    for i, (title, assignee, labels, priority, due) in enumerate(titles):
        await api.task(
            owner,
            pid,
            title=title,
            assignee_id=assignee,
            labels=labels,
            priority=priority,
            due_date=due,
            status_id=statuses[i % 2],
            description="The crash happens after login" if i == 2 else "",
        )
    return owner, dev, pid, {"bug": bug["id"], "ui": ui["id"], "statuses": statuses}


async def test_filters(api: Api) -> None:
    owner, dev, pid, ids = await _seeded(api)

    async def titles(**params: Any) -> list[str]:
        return [t["title"] for t in await _all_pages(api, owner, pid, **params)]

    assert len(await titles()) == 5
    assert await titles(assignee=dev.id, sort="created") == [
        "Login page crashes on submit",
        "Logout button misplaced",
    ]
    assert await titles(unassigned="true", sort="created") == [
        "Database backup script",
        "Write release notes",
    ]
    assert await titles(label=[ids["bug"], ids["ui"]]) == ["Login page crashes on submit"]
    assert sorted(await titles(label=ids["bug"])) == [
        "Crash report uploader",
        "Login page crashes on submit",
    ]
    assert sorted(await titles(priority=["urgent", "high"])) == [
        "Crash report uploader",
        "Login page crashes on submit",
    ]
    assert await titles(due_before="2027-01-15", sort="due") == [
        "Write release notes",
        "Login page crashes on submit",
    ]
    assert await titles(due_after="2027-01-15", sort="-due") == [
        "Logout button misplaced",
        "Crash report uploader",
    ]
    assert len(await titles(status=ids["statuses"][0])) == 3
    assert await titles(reporter=dev.id) == []


async def test_text_search_is_ranked_and_prefix_matched(api: Api) -> None:
    owner, _dev, pid, _ids = await _seeded(api)
    found = [t["title"] for t in await _all_pages(api, owner, pid, q="crash")]
    # both titles mention it; the description-only match ranks last
    assert set(found[:2]) == {"Login page crashes on submit", "Crash report uploader"}
    assert found[2:] == ["Database backup script"]
    assert [t["title"] for t in await _all_pages(api, owner, pid, q="page crash")] == [
        "Login page crashes on submit"
    ]
    assert await _all_pages(api, owner, pid, q="nothing-like-this") == []
    assert await _all_pages(api, owner, pid, q="!!! ???") != []  # no words: no text filter


async def test_every_sort_pages_through_everything_once(api: Api) -> None:
    owner, _dev, pid, _ids = await _seeded(api)
    for sort in ("rank", "created", "-created", "updated", "due", "-due", "priority", "-priority"):
        paged = await _all_pages(api, owner, pid, sort=sort, limit=2)
        whole = await _all_pages(api, owner, pid, sort=sort, limit=200)
        assert [t["id"] for t in paged] == [t["id"] for t in whole], sort
        assert len(paged) == 5
    by_priority = await _all_pages(api, owner, pid, sort="-priority", limit=2)
    assert [t["priority"] for t in by_priority][:2] == ["urgent", "high"]
    relevance = await _all_pages(api, owner, pid, q="crash", limit=1)
    assert len(relevance) == 3


async def test_bad_list_input_is_422(api: Api) -> None:
    owner, _dev, pid, _ids = await _seeded(api)
    other = (await api.project(owner, name="Other"))["id"]
    first = await api.request("GET", f"/projects/{pid}/tasks", owner, params={"limit": 2})
    cursor = first.json()["next_cursor"]
    assert cursor
    for params in (
        {"limit": 201},
        {"limit": 0},
        {"limit": "lots"},
        {"cursor": "not-a-cursor"},
        {"cursor": cursor[:-2] + ("A" if cursor[-2] != "A" else "B") + cursor[-1]},
        {"cursor": cursor, "sort": "-created"},  # made for another sort
        {"cursor": cursor, "assignee": 1},  # made for other filters
        {"sort": "sideways"},
        {"sort": "relevance"},
        {"priority": "extreme"},
        {"due_before": "soon"},
        {"colour": "blue"},
    ):
        response = await api.request("GET", f"/projects/{pid}/tasks", owner, params=params)
        assert_problem(response, 422)
    foreign = await api.request("GET", f"/projects/{other}/tasks", owner, params={"cursor": cursor})
    assert_problem(foreign, 422)


async def test_text_search_stays_in_its_project(api: Api, state: AppState) -> None:
    owner, _dev, pid, _ids = await _seeded(api)
    other = (await api.project(owner, name="Other"))["id"]
    for i in range(30):
        await api.task(owner, other, title=f"Login crash elsewhere {i}")
    found = await _all_pages(api, owner, pid, q="login crash", limit=1)
    assert [t["title"] for t in found] == ["Login page crashes on submit", "Database backup script"]
    found = await _all_pages(api, owner, pid, q="crash", limit=1)
    assert {t["project_id"] for t in found} == {pid}
    assert len(found) == 3

    if not state.database.is_sqlite:
        return
    # one pass over the FTS5 index joined to tasks by rowid: no correlated subquery that would
    # search the index again for every row, nor a rank computed for other projects' rows
    statement, params, _sort = search.build(pid, TaskQuery(q="crash"), "sqlite", state.cursors)
    bound = statement.params(params)
    sql = str(bound.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
    async with state.database.transaction(write=False) as session:
        plan = [row[3] for row in await session.execute(text(f"EXPLAIN QUERY PLAN {sql}"))]
    assert len([step for step in plan if "VIRTUAL TABLE" in step]) == 1, plan
    assert "SEARCH tasks USING INTEGER PRIMARY KEY (rowid=?)" in plan, plan
    assert not [step for step in plan if "SUBQUERY" in step], plan
