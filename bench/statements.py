"""Statements per request, counted at the driver for one request of each workload."""

from __future__ import annotations

from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from sqlalchemy import event

from bench.dataset import Dataset, bench_settings
from laneway.app import create_app

_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


async def per_request(data: Dataset) -> dict[str, int]:
    app = create_app(bench_settings(data.url))
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
            for name, (method, url, extra, body) in calls.items():
                seen.clear()
                response = await http.request(method, url, headers={**headers, **extra}, json=body)
                if response.status_code >= 400:
                    raise RuntimeError(f"{name}: {response.status_code} {response.text}")
                counts[name] = len(seen)
        event.remove(engine, "before_cursor_execute", record)
    return counts
