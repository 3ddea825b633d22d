"""An imported project's past is the past: its history notifies nobody, and its due dates
that had come by the import day count as reminded (docs/operations.md, Notifications)."""

from __future__ import annotations

import io
from datetime import timedelta

from laneway.models.base import utcnow
from laneway.state import AppState
from laneway.transfer import export_project, import_project
from tests.support import Api
from tests.transfer.seed import ok


async def test_an_import_makes_no_due_reminders_for_what_was_due(api: Api, state: AppState) -> None:
    alice = await api.user()
    pid = (await api.project(alice, "Before", key="OLD"))["id"]
    today = utcnow().date()
    for title, days in (("late", -2), ("tomorrow", 1), ("today", 0), ("later", 5)):
        due = str(today + timedelta(days))
        await api.task(alice, pid, title=title, assignee_id=alice.id, due_date=due)
    out = io.BytesIO()
    await export_project(state.database, pid, out)
    await state.notifier.drain()
    await state.notifier.remind_due()
    before = (await ok(api, "GET", "/me/notifications?limit=100", alice))["items"]

    imported = await import_project(state.database, out.getvalue(), owner=alice.id, key="NEW")
    await state.notifier.drain()
    assert await state.notifier.remind_due() == 0  # overdue and due tomorrow: reminded before
    after = (await ok(api, "GET", "/me/notifications?limit=100", alice))["items"]
    assert after == before

    # what comes due after the import is reminded of: the next day, today's task is late
    # (in the old project too)
    number = {t["title"]: t["number"] for t in await tasks(api, alice, imported.project_id)}
    assert await next_day_reminders(state) == 2
    items = (await ok(api, "GET", "/me/notifications?limit=100", alice))["items"]
    new = [
        n for n in items[: len(items) - len(before)] if n["project"]["id"] == imported.project_id
    ]
    assert [(n["kind"], n["task"]["number"]) for n in new] == [("overdue", number["today"])]


async def tasks(api: Api, user: object, project_id: int) -> list[dict[str, object]]:
    body = await ok(api, "GET", f"/projects/{project_id}/tasks", user)
    items: list[dict[str, object]] = body["items"]
    return items


async def next_day_reminders(state: AppState) -> int:
    clock = state.notifier.clock
    state.notifier.clock = lambda: clock() + timedelta(days=1)
    try:
        return await state.notifier.remind_due()
    finally:
        state.notifier.clock = clock
