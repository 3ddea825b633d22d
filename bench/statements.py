"""Statements per request, counted at the driver for one request of each workload, with the
token and the caller's role already cached (as for every request but a client's first), and
the budgets they must stay within."""

from __future__ import annotations

from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from sqlalchemy import event

from bench.dataset import Dataset, bench_settings
from laneway.app import create_app
from laneway.config import CacheSettings

_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")
# The most statements one request of each workload may send; the bench fails past them.
BUDGETS = {
    "board": 0,  # rendered before, nothing changed since
    "board-304": 0,
    "board-cold": 2,  # statuses with counts and the version; each column's first page
    "list": 1,
    "create": 3,
    "create-one": 3,
    "move": 3,
}


def over_budget(counted: dict[str, int]) -> dict[str, tuple[int, int]]:
    return {
        name: (count, BUDGETS[name])
        for name, count in counted.items()
        if name in BUDGETS and count > BUDGETS[name]
    }


async def per_request(data: Dataset) -> dict[str, int]:
    # a long age limit: the counts are those of a warm process, whatever this machine's speed
    app = create_app(
        bench_settings(data.url).model_copy(update={"cache": CacheSettings(seconds=60)})
    )
    counts: dict[str, int] = {}
    async with LifespanManager(app):
        engine = app.state.laneway.database.engine.sync_engine
        seen: list[str] = []

        def record(_c: Any, _cur: Any, statement: str, *_a: Any) -> None:
            if not statement.lstrip().upper().startswith(_CONTROL):
                seen.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        headers = {"Authorization": f"Bearer {data.tokens[0]}"}
        task_id, _status = data.tasks[0]
        api = "/api/v1"
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            board = await http.get(f"{api}/projects/{data.big_project}/board", headers=headers)
            task = await http.get(f"{api}/tasks/{task_id}", headers=headers)
            # the caller's role in the project the spread create writes to, as for later requests
            await http.get(f"{api}/projects/{data.project_ids[-1]}", headers=headers)
            calls = {
                "board": ("GET", f"{api}/projects/{data.big_project}/board", {}, None),
                "board-304": (
                    "GET",
                    f"{api}/projects/{data.big_project}/board",
                    {"If-None-Match": board.headers["ETag"]},
                    None,
                ),
                "list": (
                    "GET",
                    f"{api}/projects/{data.big_project}/tasks?assignee={data.user_ids[1]}"
                    f"&status={data.statuses[1]}&limit=100",
                    {},
                    None,
                ),
                "search": (
                    "GET",
                    f"{api}/projects/{data.big_project}/tasks?q=login&limit=100",
                    {},
                    None,
                ),
                "create": (
                    "POST",
                    f"{api}/projects/{data.big_project}/tasks",
                    {},
                    {"title": "counted", "labels": data.labels[:2]},
                ),
                "move": (
                    "POST",
                    f"{api}/tasks/{task_id}/move",
                    {"If-Match": task.headers["ETag"]},
                    {"status_id": data.statuses[2]},
                ),
            }
            calls["create-one"] = calls["create"]
            calls["create"] = (
                "POST",
                f"{api}/projects/{data.project_ids[-1]}/tasks",
                {},
                {"title": "counted"},
            )
            calls["board-cold"] = calls["board"]
            for name, (method, url, extra, body) in calls.items():
                if name == "board-cold":  # a change first: the rendered board is out of date
                    changed = await http.patch(
                        f"{api}/tasks/{task_id}",
                        headers={**headers, "If-Match": "*"},
                        json={"title": "changed"},
                    )
                    changed.raise_for_status()
                seen.clear()
                response = await http.request(method, url, headers={**headers, **extra}, json=body)
                if response.status_code >= 400:
                    raise RuntimeError(f"{name}: {response.status_code} {response.text}")
                counts[name] = len(seen)
        event.remove(engine, "before_cursor_execute", record)
    return counts
