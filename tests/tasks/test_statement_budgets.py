"""Statements per request, counted at the driver: constant, and within the published budget."""

from __future__ import annotations

from sqlalchemy import insert

from laneway.models import Task
from laneway.models.base import utcnow
from laneway.state import AppState
from tests.support import Api, StatementCounter, User


async def _bulk_tasks(
    state: AppState, project_id: int, user: User, statuses: list[int], n: int
) -> None:
    """Rows straight into the table: the counts triggers keep the per-status numbers right."""
    now = utcnow()
    async with state.database.session() as session, session.begin():
        await session.execute(
            insert(Task),
            [
                {
                    "project_id": project_id,
                    "number": 10_000 + i,
                    "title": f"bulk {i}",
                    "description": "",
                    "status_id": statuses[i % len(statuses)],
                    "assignee_id": user.id,
                    "reporter_id": user.id,
                    "priority": i % 5,
                    "label_ids": [],
                    "rank": f"b{i:05d}",
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(n)
            ],
        )


async def test_board_after_a_change_is_two_statements_at_any_size_then_none(
    api: Api, state: AppState, statements: StatementCounter
) -> None:
    owner = await api.user()
    small = (await api.project(owner, name="Small"))["id"]
    large = (await api.project(owner, name="Large"))["id"]
    for pid in (small, large):
        await api.label(owner, pid, "bug")
    small_statuses = [s["id"] for s in await api.statuses(owner, small)]
    large_statuses = [s["id"] for s in await api.statuses(owner, large)]
    await _bulk_tasks(state, small, owner, small_statuses, 10)
    await _bulk_tasks(state, large, owner, large_statuses, 2000)

    counted = []
    for pid in (small, large):
        await api.request("GET", f"/projects/{pid}/board", owner)  # my role, labels cached
        await api.task(owner, pid)  # a change: the rendered board is out of date
        statements.reset()
        board = await api.request("GET", f"/projects/{pid}/board", owner)
        assert board.status_code == 200
        counted.append(statements.count)
    # statuses with counts and the board's version; each column's first page
    assert counted[0] == counted[1] == 2, statements.statements
    statements.reset()
    again = await api.request("GET", f"/projects/{large}/board", owner)
    assert again.content == board.content
    assert statements.count == 0, statements.statements

    body = board.json()
    assert sum(c["count"] for c in body["columns"]) == 2001
    assert all(len(c["tasks"]) == 50 for c in body["columns"])
    assert all(c["next_cursor"] for c in body["columns"])
    assert [u["id"] for u in body["users"]] == [owner.id]
    assert [label["name"] for label in body["labels"]] == ["bug"]


async def test_write_budgets(api: Api, state: AppState, statements: StatementCounter) -> None:
    # PostgreSQL: the checks in one read, then the counter, the row and the event in one
    # statement (tasks/one_trip.py); SQLite takes its in-process write lock first and writes
    # each in turn. Token and role are cached by the requests before.
    one_trip = not state.database.is_sqlite
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    doing = (await api.statuses(owner, pid))[1]["id"]
    label = await api.label(owner, pid, "bug")
    neighbour = await api.task(owner, pid, status_id=doing)

    statements.reset()
    created = await api.request(
        "POST",
        f"/projects/{pid}/tasks",
        owner,
        json={"title": "budget", "labels": [label["id"]], "assignee_id": owner.id},
    )
    assert created.status_code == 201
    assert statements.count == (2 if one_trip else 4), statements.statements
    task_id = created.json()["id"]

    statements.reset()
    patched = await api.request(
        "PATCH",
        f"/tasks/{task_id}",
        owner,
        json={"title": "renamed", "labels": [], "assignee_id": owner.id},
        headers={"If-Match": '"v1"'},
    )
    assert patched.status_code == 200
    assert statements.count == (3 if one_trip else 5), statements.statements

    statements.reset()
    moved = await api.request(
        "POST",
        f"/tasks/{task_id}/move",
        owner,
        json={"status_id": doing, "after_id": neighbour["id"]},
        headers={"If-Match": '"v2"'},
    )
    assert moved.status_code == 200, moved.text
    assert statements.count == (3 if one_trip else 5), statements.statements

    # with `If-Match: *` as well: the write checks the version the move read (SQLite takes
    # its lock first and reads the task again under it)
    statements.reset()
    moved = await api.request(
        "POST",
        f"/tasks/{task_id}/move",
        owner,
        json={"status_id": doing},
        headers={"If-Match": "*"},
    )
    assert moved.status_code == 200, moved.text
    assert statements.count == (3 if one_trip else 6), statements.statements


async def test_list_is_constant_in_page_size(
    api: Api, state: AppState, statements: StatementCounter
) -> None:
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    await _bulk_tasks(state, pid, owner, [s["id"] for s in await api.statuses(owner, pid)], 300)
    counted = []
    for limit in (1, 200):
        statements.reset()
        page = await api.request("GET", f"/projects/{pid}/tasks", owner, params={"limit": limit})
        assert len(page.json()["items"]) == limit
        counted.append(statements.count)
    assert counted[0] == counted[1] == 1  # the token and my role are cached after the first
    # the list view's sorts by a status's place or an assignee's name read them in the same
    # statement, and so does every next page
    for sort in ("status", "-assignee", "title", "-number"):
        statements.reset()
        page = await api.request(
            "GET", f"/projects/{pid}/tasks", owner, params={"limit": 200, "sort": sort}
        )
        assert len(page.json()["items"]) == 200
        following = {"limit": 200, "sort": sort, "cursor": page.json()["next_cursor"]}
        page = await api.request("GET", f"/projects/{pid}/tasks", owner, params=following)
        assert len(page.json()["items"]) == 100
        assert statements.count == 2, (sort, statements.statements)


async def test_board_etag_answers_304_until_anything_changes(
    api: Api, statements: StatementCounter
) -> None:
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    await api.task(owner, pid)
    first = await api.request("GET", f"/projects/{pid}/board", owner)
    etag = first.headers["etag"]
    statements.reset()
    cached = await api.request(
        "GET", f"/projects/{pid}/board", owner, headers={"If-None-Match": etag}
    )
    assert cached.status_code == 304
    assert statements.count == 0  # token, role and the board's version known in this process
    await api.label(owner, pid, "new")
    changed = await api.request(
        "GET", f"/projects/{pid}/board", owner, headers={"If-None-Match": etag}
    )
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag


async def test_hand_built_bodies_match_the_documented_models(api: Api) -> None:
    """The board and task bodies are built without pydantic; they must still be what the
    OpenAPI document promises."""
    from laneway.board.schemas import BoardOut
    from laneway.tasks.schemas import TaskOut, TaskPage

    owner = await api.user()
    pid = (await api.project(owner))["id"]
    label = await api.label(owner, pid, "bug")
    created = await api.task(
        owner, pid, labels=[label["id"]], due_date="2027-03-01", assignee_id=owner.id
    )
    assert TaskOut.model_validate(created).model_dump(mode="json") == created
    board = (await api.request("GET", f"/projects/{pid}/board", owner)).json()
    assert BoardOut.model_validate(board).model_dump(mode="json") == board
    page = (await api.request("GET", f"/projects/{pid}/tasks", owner)).json()
    assert TaskPage.model_validate(page).model_dump(mode="json") == page
