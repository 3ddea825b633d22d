"""Notifications derived from committed events: who is told what, exactly once, within their
level; watchers; the inbox over the API. The notifier is driven by hand (`drain`) so each test
knows when it ran."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

from prometheus_client import CollectorRegistry

from laneway.mail import tokens
from laneway.models.base import utcnow
from laneway.notifications.notifier import NotificationRunner
from laneway.observability.job_metrics import JobMetrics
from laneway.state import AppState
from tests.support import Api, StatementCounter, User, assert_problem


async def inbox(api: Api, user: User, query: str = "") -> dict[str, Any]:
    response = await api.request("GET", f"/me/notifications{query}", user)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def kinds(api: Api, user: User) -> list[tuple[str, str | None]]:
    """(kind, task number) of every notification, oldest first."""
    items = (await inbox(api, user, "?limit=100"))["items"]
    return [(n["kind"], n["task"]["number"] if n["task"] else None) for n in reversed(items)]


async def username(api: Api, user: User) -> str:
    name: str = (await api.request("GET", "/me", user)).json()["username"]
    return name


async def team(api: Api, *roles: str) -> tuple[User, int, list[User]]:
    """An owner, a project, and a member per role given."""
    owner = await api.user()
    pid = (await api.project(owner, "Team"))["id"]
    members = []
    for role in roles:
        member = await api.user()
        await api.add_member(pid, owner, member, role)
        members.append(member)
    return owner, pid, members


async def comment(api: Api, user: User, task_id: int, body: str) -> None:
    response = await api.request("POST", f"/tasks/{task_id}/comments", user, json={"body": body})
    assert response.status_code == 201, response.text


async def test_a_mention_notifies_exactly_the_mentioned_member(api: Api, state: AppState) -> None:
    owner, pid, (alice, bob) = await team(api, "member", "viewer")
    outsider = await api.user()
    task = await api.task(owner, pid, title="Launch")
    body = (
        f"@{await username(api, alice)} and @{await username(api, outsider)} and "
        f"@{await username(api, owner)} and mail {await username(api, bob)}@example.com"
    )
    await comment(api, owner, task["id"], body)
    await state.notifier.drain()
    assert await kinds(api, alice) == [("mentioned", task["number"])]
    assert await kinds(api, outsider) == []  # not a member: no mention
    assert await kinds(api, owner) == []  # the author, though reporter and mentioned
    assert await kinds(api, bob) == []  # an email address is no mention
    item = (await inbox(api, alice))["items"][0]
    assert item["actor"]["id"] == owner.id
    assert item["excerpt"].startswith("@")
    assert item["project"]["id"] == pid
    assert item["task"]["title"] == "Launch"

    # a second pass finds nothing new: each event notifies once
    assert await state.notifier.drain() == 0
    assert len(await kinds(api, alice)) == 1


async def test_assignment_and_a_watched_task_notify_once_each(api: Api, state: AppState) -> None:
    owner, pid, (alice, bob) = await team(api, "member", "member")
    task = await api.task(owner, pid, title="Ship", assignee_id=alice.id)
    mine = await api.task(alice, pid, title="Self", assignee_id=alice.id)  # own: no notice
    await state.notifier.drain()
    assert await kinds(api, alice) == [("assigned", task["number"])]

    # alice (assignee) and the owner (reporter) watch; bob's comment tells both, once
    await comment(api, bob, task["id"], "Looks good")
    await comment(api, bob, mine["id"], "Mine too?")
    await state.notifier.drain()
    assert await kinds(api, owner) == [("commented", task["number"])]
    assert await kinds(api, alice) == [
        ("assigned", task["number"]),
        ("commented", task["number"]),
        ("commented", mine["number"]),
    ]
    # bob commented, so he watches now: a status change tells him and the others
    done = (await api.statuses(owner, pid))[-1]
    moved = await api.request(
        "POST", f"/tasks/{task['id']}/move", owner, json={"status_id": done["id"]},
        headers={"If-Match": "*"},
    )  # fmt: skip
    assert moved.status_code == 200, moved.text
    await state.notifier.drain()
    assert (await kinds(api, bob))[-1] == ("status", task["number"])
    assert (await inbox(api, bob))["items"][0]["excerpt"] == done["name"]
    assert (await kinds(api, alice))[-1] == ("status", task["number"])
    assert await kinds(api, owner) == [("commented", task["number"])]  # the mover

    # reassigned to bob: one notice to bob (assigned outranks the watcher's status notice)
    response = await api.request(
        "PATCH", f"/tasks/{task['id']}", owner, json={"assignee_id": bob.id},
        headers={"If-Match": "*"},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    await state.notifier.drain()
    assert (await kinds(api, bob))[-1] == ("assigned", task["number"])
    assert len(await kinds(api, bob)) == 2


async def test_levels_all_participating_none(api: Api, state: AppState) -> None:
    owner, pid, (everything, quiet, default) = await team(api, "member", "member", "viewer")
    for user, level in ((everything, "all"), (quiet, "none")):
        response = await api.request(
            "PUT", f"/projects/{pid}/notification-level", user, json={"level": level}
        )
        assert response.json() == {"level": level}
    got = await api.request("GET", f"/projects/{pid}/notification-level", default)
    assert got.json() == {"level": "participating"}

    task = await api.task(owner, pid, title="Anything", assignee_id=quiet.id)
    await comment(api, owner, task["id"], f"@{await username(api, quiet)} see this")
    await state.notifier.drain()
    assert await kinds(api, everything) == [("commented", task["number"])]  # not watching
    assert await kinds(api, quiet) == []  # assigned and mentioned, but `none`
    assert await kinds(api, default) == []  # not watching, not named


async def test_watch_and_unwatch(api: Api, state: AppState) -> None:
    owner, pid, (alice,) = await team(api, "viewer")
    task = await api.task(owner, pid)
    watched = await api.request("PUT", f"/tasks/{task['id']}/watch", alice)
    assert watched.status_code == 200
    assert watched.json()["watching"] is True
    await comment(api, owner, task["id"], "First")
    await state.notifier.drain()
    assert await kinds(api, alice) == [("commented", task["number"])]

    stopped = await api.request("DELETE", f"/tasks/{task['id']}/watch", alice)
    assert stopped.json()["watching"] is False
    listed = await api.request("GET", f"/tasks/{task['id']}/watchers", owner)
    assert [w["user_id"] for w in listed.json()["watchers"]] == [owner.id]
    await comment(api, owner, task["id"], "Second")
    await state.notifier.drain()
    assert len(await kinds(api, alice)) == 1

    stranger = await api.user()
    assert_problem(await api.request("PUT", f"/tasks/{task['id']}/watch", stranger), 404)


async def test_due_tomorrow_and_overdue_remind_the_assignee_once(api: Api, state: AppState) -> None:
    owner, pid, (alice,) = await team(api, "member")
    today = utcnow().date()
    soon = await api.task(owner, pid, assignee_id=alice.id, due_date=str(today + timedelta(1)))
    late = await api.task(owner, pid, assignee_id=alice.id, due_date=str(today - timedelta(2)))
    await api.task(owner, pid, assignee_id=alice.id, due_date=str(today + timedelta(5)))
    ancient = date(2020, 1, 1)
    await api.task(owner, pid, assignee_id=alice.id, due_date=str(ancient))
    done = (await api.statuses(owner, pid))[-1]["id"]
    await api.task(owner, pid, assignee_id=alice.id, due_date=str(today), status_id=done)
    await state.notifier.drain()
    before = len(await kinds(api, alice))
    assert await state.notifier.remind_due() == 2
    assert await state.notifier.remind_due() == 0  # once per task and due date
    reminders = (await kinds(api, alice))[before:]
    assert sorted(reminders) == [("due_soon", soon["number"]), ("overdue", late["number"])]
    item = next(n for n in (await inbox(api, alice))["items"] if n["kind"] == "overdue")
    assert item["due_on"] == str(today - timedelta(2))
    assert item["actor"] is None


async def test_the_inbox_pages_counts_and_marks_read(api: Api, state: AppState) -> None:
    owner, pid, (alice,) = await team(api, "member")
    name = await username(api, alice)
    task = await api.task(owner, pid)
    for n in range(5):
        await comment(api, owner, task["id"], f"@{name} number {n}")
    await state.notifier.drain()
    first = await inbox(api, alice, "?limit=2")
    assert first["unread"] == 5
    assert [n["excerpt"] for n in first["items"]] == [f"@{name} number 4", f"@{name} number 3"]
    rest = await inbox(api, alice, f"?limit=10&cursor={first['next_cursor']}")
    assert len(rest["items"]) == 3
    assert rest["next_cursor"] is None

    newest = first["items"][0]["id"]
    read = await api.request("POST", f"/me/notifications/{newest}/read", alice)
    assert read.status_code == 204
    unread = await inbox(api, alice, "?unread_only=true")
    assert unread["unread"] == 4
    assert newest not in [n["id"] for n in unread["items"]]
    # what the reader saw: the two oldest; the two after them stay unread
    marked = await api.request(
        "POST", "/me/notifications/read", alice, json={"up_to": rest["items"][1]["id"]}
    )
    assert marked.json() == {"marked": 2, "unread": 2}
    marked = await api.request("POST", "/me/notifications/read", alice, json={})
    assert marked.json() == {"marked": 2, "unread": 0}

    # someone else's notification is not there for me
    assert_problem(await api.request("POST", f"/me/notifications/{newest}/read", owner), 404)
    bad = await api.request("GET", "/me/notifications?cursor=forged", alice)
    assert_problem(bad, 422)

    # a member removed from the project no longer sees its notifications
    removed = await api.request("DELETE", f"/projects/{pid}/members/{alice.id}", owner)
    assert removed.status_code == 204
    assert (await inbox(api, alice))["items"] == []
    assert (await inbox(api, alice))["unread"] == 0


async def test_a_comment_with_mentions_costs_the_request_nothing_more(
    api: Api, state: AppState, statements: StatementCounter
) -> None:
    owner, pid, members = await team(api, "member", "member", "member", "member")
    task = await api.task(owner, pid)
    names = " ".join([f"@{await username(api, m)}" for m in members])
    await comment(api, owner, task["id"], "warm the caches")
    counts = []
    for body in ("no mention", names):
        statements.reset()
        await comment(api, owner, task["id"], body)
        counts.append(statements.count)
    assert counts[0] == counts[1]

    # the notifier: one INSERT for the batch's notifications, whatever their number
    await state.notifier.drain()
    for body in (f"@{await username(api, members[0])}", names):
        await comment(api, owner, task["id"], body)
        statements.reset()
        assert await state.notifier.run_once() >= 1
        inserts = [s for s in statements.statements if s.lstrip().upper().startswith("INSERT")]
        assert sum("INTO notifications" in s for s in inserts) == 1


async def test_a_long_poll_answers_when_a_notification_is_made(api: Api, state: AppState) -> None:
    owner, pid, (alice,) = await team(api, "member")
    task = await api.task(owner, pid)
    name = await username(api, alice)
    now = await api.request("GET", "/me/notifications/wait?timeout=0", alice)
    assert now.json() == {"newest": 0, "unread": 0}

    # this process's notifier wakes the waiter of the user it notified
    waiting = asyncio.create_task(
        api.request("GET", "/me/notifications/wait?after=0&timeout=20", alice)
    )
    await asyncio.sleep(0.1)
    assert state.waiters.waiting == 1
    assert state.database.engine.pool.checkedout() == 0  # nothing held while it waits
    await comment(api, owner, task["id"], f"@{name} first")
    await state.notifier.drain()
    first = (await waiting).json()
    assert first["unread"] == 1
    assert first["newest"] > 0

    # a notifier elsewhere (a worker) is not heard, but the change is: the waiter looks again
    waiting = asyncio.create_task(
        api.request("GET", f"/me/notifications/wait?after={first['newest']}&timeout=20", alice)
    )
    await asyncio.sleep(0.1)
    await comment(api, owner, task["id"], f"@{name} second")
    await NotificationRunner(state.database).drain()  # tells this process nothing
    second = (await waiting).json()
    assert second["unread"] == 2
    assert second["newest"] > first["newest"]
    assert state.waiters.waiting == 0

    for query in (
        "timeout=31",
        "timeout=-1",
        "timeout=nan",
        "after=-1",
        "after=x",
        f"after={2**63}",
    ):
        assert_problem(await api.request("GET", f"/me/notifications/wait?{query}", alice), 422)


async def test_statement_budgets_of_the_inbox_watching_and_my_tasks(
    api: Api, state: AppState, statements: StatementCounter
) -> None:
    """Each route costs the same whatever it lists: no query per item (token and role are
    cached by a first call, as in the tasks' budgets)."""
    owner, pid, (alice,) = await team(api, "member")
    name = await username(api, alice)
    routes = {
        "inbox": ("GET", "/me/notifications?limit=100"),
        "unread": ("GET", "/me/notifications?unread_only=true"),
        "my tasks": ("GET", "/me/tasks?limit=100"),
        "level": ("GET", f"/projects/{pid}/notification-level"),
    }
    costs: list[dict[str, int]] = []
    for size in (1, 12):
        for _ in range(size):
            task = await api.task(owner, pid, assignee_id=alice.id, due_date="2027-01-01")
            await comment(api, owner, task["id"], f"@{name} look")
        await state.notifier.drain()
        cost = {}
        for label, (method, path) in routes.items():
            await api.request(method, path, alice)  # caches warm
            statements.reset()
            response = await api.request(method, path, alice)
            assert response.status_code == 200, response.text
            cost[label] = statements.count
        newest = (await inbox(api, alice))["items"][0]["id"]
        token = tokens.make(state.keys.derive("unsubscribe"), alice.id)
        writes = {
            "read one": ("POST", f"/me/notifications/{newest}/read", None, 204),
            "read all": ("POST", "/me/notifications/read", {}, 200),
            "wait": ("GET", "/me/notifications/wait?timeout=0", None, 200),
            "profile": ("PATCH", "/me", {"name": f"Alice {size}"}, 200),
        }
        for label, (method, path, body, status) in writes.items():
            statements.reset()
            response = await api.request(method, path, alice, json=body)
            assert response.status_code == status, response.text
            cost[label] = statements.count
        statements.reset()
        unsubscribed = await api.client.post(f"/api/v1/unsubscribe?token={token}")
        assert unsubscribed.status_code == 204
        cost["unsubscribe"] = statements.count
        for label, method in (("watchers", "GET"), ("watch", "PUT"), ("unwatch", "DELETE")):
            path = (
                f"/tasks/{task['id']}/watchers"
                if label == "watchers"
                else f"/tasks/{task['id']}/watch"
            )
            await api.request("GET", f"/tasks/{task['id']}", alice)
            statements.reset()
            assert (await api.request(method, path, alice)).status_code == 200
            cost[label] = statements.count
        costs.append(cost)
    assert costs[0] == costs[1], costs
    assert costs[0] == {
        "inbox": 2,  # the page with what it names, and the unread count
        "unread": 2,
        "my tasks": 1,
        "level": 1,
        "watchers": 2,  # the task (who may see it), then its watchers
        "watch": 3,  # the task, the insert, then the list it answers with
        "unwatch": 3,
        "read one": 1,
        "read all": 2,  # the update, the unread count
        "wait": 2,  # the newest id, the unread count
        "profile": 2,  # the account, its new name
        "unsubscribe": 1,  # one conditional update
    }


async def test_notifications_made_are_counted_for_metrics(api: Api, state: AppState) -> None:
    registry = CollectorRegistry()
    metrics = JobMetrics(registry)
    owner, pid, members = await team(api, "member", "member")
    task = await api.task(owner, pid)
    names = " ".join([f"@{await username(api, m)}" for m in members])
    await comment(api, owner, task["id"], names)
    await state.notifier.drain()
    for _ in range(2):  # a second sample adds nothing new
        metrics.sample(state.webhooks, state.transfers, state.notifier, state.mailer)
        assert registry.get_sample_value("laneway_notifications_made_total") == 2
