"""Statements per webhook request, counted at the driver: the same on both backends, and the
same however many webhooks or deliveries there are. The token and my role in the project are
cached by the requests before; a webhook's own routes load it with my role in one join."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from laneway.config import Settings, WebhookSettings
from laneway.models import WebhookDelivery
from laneway.state import AppState
from tests.conftest import make_settings
from tests.support import Api, StatementCounter, User

URL = "http://127.0.0.1:9/hook"  # registered, never called: no runner runs here

BUDGETS = {
    "create": 2,  # the project's event number (the new webhook starts after it), the insert
    "list": 1,
    "get": 1,  # the webhook, my role and whether its project is archived
    "patch": 2,  # that, and the update
    "rotate secret": 2,
    "ping": 2,  # that, and the delivery's insert
    "list deliveries": 2,  # that, and the page (without the messages' bodies)
    "redeliver": 3,  # that, the original, and the copy's insert
    "delete": 2,  # that, and the delete (the database drops its deliveries)
}


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    loopback = WebhookSettings(allowed_networks="127.0.0.0/8")
    return make_settings(database_url, tmp_path / "data", webhook=loopback)


class Measured:
    def __init__(self, api: Api, statements: StatementCounter, user: User) -> None:
        self.api, self.statements, self.user = api, statements, user
        self.counts: dict[str, int] = {}

    async def __call__(
        self, name: str, method: str, path: str, status: int, **kwargs: Any
    ) -> httpx.Response:
        """The request, its status checked and its statements counted under `name`."""
        self.statements.reset()
        response = await self.api.request(method, path, self.user, **kwargs)
        assert response.status_code == status, response.text
        self.counts[name] = self.statements.count
        return response


async def _hook(api: Api, owner: User, pid: int) -> int:
    created = await api.request(
        "POST", f"/projects/{pid}/webhooks", owner, json={"url": URL, "events": ["*"]}
    )
    assert created.status_code == 201, created.text
    hook_id: int = created.json()["id"]
    return hook_id


async def _pings(api: Api, owner: User, hook_id: int, n: int) -> None:
    for _ in range(n):
        assert (await api.request("POST", f"/webhooks/{hook_id}/ping", owner)).status_code == 202


async def test_every_webhook_route_within_its_budget(
    api: Api, statements: StatementCounter
) -> None:
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    await api.request("GET", f"/projects/{pid}/webhooks", owner)  # token and role cached
    measure = Measured(api, statements, owner)

    body = {"url": URL, "events": ["task.created"]}
    created = await measure("create", "POST", f"/projects/{pid}/webhooks", 201, json=body)
    hook = f"/webhooks/{created.json()['id']}"
    await measure("list", "GET", f"/projects/{pid}/webhooks", 200)
    await measure("get", "GET", hook, 200)
    change = {"url": "http://127.0.0.1:10/hook", "events": ["*"], "active": False}
    await measure("patch", "PATCH", hook, 200, json=change)
    await measure("rotate secret", "PATCH", hook, 200, json={"rotate_secret": True})
    ping = await measure("ping", "POST", f"{hook}/ping", 202)
    await measure("list deliveries", "GET", f"{hook}/deliveries", 200)
    delivery = ping.json()["delivery_id"]
    await measure("redeliver", "POST", f"{hook}/deliveries/{delivery}/redeliver", 202)
    await measure("delete", "DELETE", hook, 204)
    assert measure.counts == BUDGETS


async def test_lists_and_delete_cost_the_same_at_any_size(
    api: Api, state: AppState, statements: StatementCounter
) -> None:
    owner = await api.user()
    small = (await api.project(owner, name="Small"))["id"]
    large = (await api.project(owner, name="Large"))["id"]
    hooks = {small: [await _hook(api, owner, small)]}
    hooks[large] = [await _hook(api, owner, large) for _ in range(10)]
    few, many = hooks[small][0], hooks[large][0]
    await _pings(api, owner, few, 1)
    await _pings(api, owner, many, 30)
    for pid in (small, large):
        await api.request("GET", f"/projects/{pid}/webhooks", owner)  # token and role cached
    measure = Measured(api, statements, owner)

    for size, pid, hook_id in (("1", small, few), ("many", large, many)):
        listed = await measure(f"list {size}", "GET", f"/projects/{pid}/webhooks", 200)
        assert len(listed.json()) == len(hooks[pid])
        page = await measure(f"deliveries {size}", "GET", f"/webhooks/{hook_id}/deliveries", 200)
        assert len(page.json()["items"]) == (1 if size == "1" else 30)
        assert not any("webhook_deliveries.body" in s for s in statements.statements)
        oldest = page.json()["items"][-1]["id"]
        path = f"/webhooks/{hook_id}/deliveries/{oldest}/redeliver"
        await measure(f"redeliver {size}", "POST", path, 202)
        await measure(f"delete {size}", "DELETE", f"/webhooks/{hook_id}", 204)

    assert measure.counts == {
        "list 1": BUDGETS["list"],
        "list many": BUDGETS["list"],
        "deliveries 1": BUDGETS["list deliveries"],
        "deliveries many": BUDGETS["list deliveries"],
        "redeliver 1": BUDGETS["redeliver"],
        "redeliver many": BUDGETS["redeliver"],
        "delete 1": BUDGETS["delete"],
        "delete many": BUDGETS["delete"],
    }
    async with state.database.transaction(write=False) as session:
        left = await session.scalar(select(func.count()).select_from(WebhookDelivery))
    assert left == 0  # both webhooks' logs went with them
