"""What is on my plate across projects (`/me/tasks`), and usernames: derived, unique,
changeable, and what mentions name."""

from __future__ import annotations

from datetime import date

from laneway.state import AppState
from tests.support import Api, assert_problem


async def test_my_tasks_across_projects_soonest_due_first(api: Api) -> None:
    me, other = await api.user(), await api.user()
    first = (await api.project(me, "First", key="ONE"))["id"]
    await api.add_member(first, me, other, "member")
    second = (await api.project(other, "Second", key="TWO"))["id"]
    await api.add_member(second, other, me, "member")
    hidden = (await api.project(other, "Hidden", key="HID"))["id"]
    await api.add_member(hidden, other, me, "member")

    made = [
        await api.task(me, first, title="undated", assignee_id=me.id),
        await api.task(me, first, title="march", assignee_id=me.id, due_date="2027-03-01"),
        await api.task(other, second, title="january", assignee_id=me.id, due_date="2027-01-15"),
        await api.task(other, second, title="also march", assignee_id=me.id, due_date="2027-03-01"),
        await api.task(other, hidden, title="left behind", assignee_id=me.id),
        await api.task(me, first, title="someone else's", assignee_id=other.id),
    ]
    archived = await api.task(me, first, title="archived", assignee_id=me.id)
    response = await api.request(
        "PATCH", f"/tasks/{archived['id']}", me, json={"archived": True},
        headers={"If-Match": "*"},
    )  # fmt: skip
    assert response.status_code == 200
    # a project I left: its tasks are not mine to see any more
    left = await api.request("DELETE", f"/projects/{hidden}/members/{me.id}", other)
    assert left.status_code == 204

    titles: list[str] = []
    cursor = None
    while True:
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = (await api.request("GET", f"/me/tasks{query}", me)).json()
        titles += [t["title"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert titles == ["january", "march", "also march", "undated"]

    page = (await api.request("GET", f"/me/tasks?project_id={second}", me)).json()
    assert [t["title"] for t in page["items"]] == ["january", "also march"]
    assert page["items"][0]["project_key"] == "TWO"
    assert page["items"][0]["number"] == made[2]["number"]
    page = (await api.request("GET", "/me/tasks?due_before=2027-02-01", me)).json()
    assert [t["title"] for t in page["items"]] == ["january"]
    page = (await api.request("GET", "/me/tasks?due_after=2027-02-01", me)).json()
    assert [t["title"] for t in page["items"]] == ["march", "also march"]
    page = (await api.request("GET", "/me/tasks?category=done", me)).json()
    assert page["items"] == []
    page = (await api.request("GET", "/me/tasks?category=unstarted&category=done", me)).json()
    assert len(page["items"]) == 4
    assert {t["status_category"] for t in page["items"]} == {"unstarted"}
    assert_problem(await api.request("GET", "/me/tasks?category=nope", me), 422)
    assert_problem(await api.request("GET", "/me/tasks?cursor=forged", me), 422)
    assert date.fromisoformat(page["items"][0]["due_date"])


async def test_usernames_are_derived_unique_and_changeable(api: Api, state: AppState) -> None:
    first = await api.user("ada.lovelace")
    assert (await api.request("GET", "/me", first)).json()["username"] == "ada.lovelace"
    # the same local part at another domain gets a number
    response = await api.client.post(
        "/api/v1/auth/register",
        json={"email": "Ada.Lovelace@other.example", "password": "a long password", "name": "A"},
    )
    assert response.status_code == 201
    assert response.json()["username"] == "ada.lovelace2"

    changed = await api.request("PATCH", "/me", first, json={"username": "ada"})
    assert changed.status_code == 200
    assert changed.json()["username"] == "ada"
    assert (await api.request("GET", "/me", first)).json()["username"] == "ada"
    other = await api.user()
    assert_problem(await api.request("PATCH", "/me", other, json={"username": "ada"}), 409)
    for bad in ("Ada", "-ada", "a b", "x" * 41, "", "ada@home"):
        assert_problem(await api.request("PATCH", "/me", other, json={"username": bad}), 422)
    renamed = await api.request("PATCH", "/me", other, json={"name": "Other Person"})
    assert renamed.json()["name"] == "Other Person"

    # mentions follow the new name, and the members list shows it for completion
    pid = (await api.project(other, "Names"))["id"]
    await api.add_member(pid, other, first, "member")
    members = (await api.request("GET", f"/projects/{pid}/members", other)).json()
    assert {m["username"] for m in members} >= {"ada"}
    task = await api.task(other, pid)
    await api.request("POST", f"/tasks/{task['id']}/comments", other, json={"body": "hi @ada."})
    await state.notifier.drain()
    items = (await api.request("GET", "/me/notifications", first)).json()["items"]
    assert [n["kind"] for n in items] == ["mentioned"]
