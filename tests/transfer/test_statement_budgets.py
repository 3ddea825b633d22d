"""Statements per transfer route, with token and role cached by a first call: the same whatever
the project holds or how many jobs there are (the jobs' own work: tests/transfer/test_scale.py)."""

from __future__ import annotations

from laneway.state import AppState
from tests.support import Api, StatementCounter


async def test_transfer_routes_cost_the_same_at_any_size(
    api: Api, state: AppState, statements: StatementCounter
) -> None:
    owner = await api.user()
    pid = (await api.project(owner, "Budget"))["id"]
    costs: list[dict[str, int]] = []
    for size in (1, 15):
        for n in range(size):
            await api.task(owner, pid, title=f"t{n}")
        await api.request("GET", f"/projects/{pid}", owner)  # token and role cached
        calls = {
            "export": ("POST", f"/projects/{pid}/exports", {"json": {"format": "csv"}}),
            "import": ("POST", "/imports", {"content": b'{"format": "laneway.project"}'}),
            "import csv": (
                "POST", f"/projects/{pid}/imports?map=title=T", {"content": b"T\nx\n"},
            ),
        }  # fmt: skip
        cost: dict[str, int] = {}
        made: dict[str, int] = {}
        for label, (method, path, body) in calls.items():
            statements.reset()
            response = await api.request(method, path, owner, **body)
            assert response.status_code == 202, response.text
            cost[label] = statements.count
            made[label] = response.json()["id"]
        await state.transfers.drain()
        for label, path in (
            ("list", "/transfers?limit=100"),
            ("get", f"/transfers/{made['import csv']}"),
            ("download", f"/transfers/{made['export']}/download"),
        ):
            statements.reset()
            response = await api.request("GET", path, owner)
            assert response.status_code == 200, response.text
            cost[label] = statements.count
        costs.append(cost)
    assert costs[0] == costs[1]
    assert costs[0] == {
        "export": 1,  # the job, inserted with its id returned
        "import": 2,  # the job, its upload
        "import csv": 2,
        "list": 1,
        "get": 1,
        "download": 2,  # the job (whose is it), its file
    }
