"""ref-crud (bench/reference_crud.py) does what the bench says it does: the template's checks,
and the statements per request the bench reports for it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from bench import reference_crud
from sqlalchemy import event

from tests.conftest import drop_database_behind, new_database

_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@pytest.fixture(scope="module")
def crud_url() -> Iterator[str]:
    name, url = new_database("laneway_crud")
    yield url
    drop_database_behind(name)


@pytest.fixture
async def crud(
    crud_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[httpx.AsyncClient, reference_crud.Seeded, list[str]]]:
    seeded = await reference_crud.prepare(crud_url, clients=2)
    monkeypatch.setenv("BENCH_CRUD_URL", crud_url)
    app = reference_crud.create_app()
    seen: list[str] = []

    def record(_c: Any, _cur: Any, statement: str, *_a: Any) -> None:
        if not statement.lstrip().upper().startswith(_CONTROL):
            seen.append(statement)

    async with LifespanManager(app):
        event.listen(app.state.engine.sync_engine, "before_cursor_execute", record)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://crud") as http:
            yield http, seeded, seen


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_create_and_update_send_the_statements_the_bench_reports(
    crud: tuple[httpx.AsyncClient, reference_crud.Seeded, list[str]],
) -> None:
    http, seeded, seen = crud
    created = await http.post(
        "/items/", json={"title": "one", "description": "d"}, headers=_auth(seeded.tokens[0])
    )
    assert created.status_code == 201, created.text
    assert len(seen) == reference_crud.STATEMENTS["ref-crud-create"]
    assert created.json()["title"] == "one"

    seen.clear()
    updated = await http.put(
        f"/items/{seeded.items[0]}", json={"title": "moved"}, headers=_auth(seeded.tokens[0])
    )
    assert updated.status_code == 200, updated.text
    assert len(seen) == reference_crud.STATEMENTS["ref-crud-update"]
    assert updated.json() == {
        "id": seeded.items[0],
        "title": "moved",
        "description": None,
        "owner_id": created.json()["owner_id"],
    }


async def test_the_token_and_the_owner_are_checked(
    crud: tuple[httpx.AsyncClient, reference_crud.Seeded, list[str]],
) -> None:
    http, seeded, _seen = crud
    assert (await http.post("/items/", json={"title": "x"})).status_code == 401
    forged = await http.post("/items/", json={"title": "x"}, headers=_auth("not.a.jwt"))
    assert forged.status_code == 403
    others = await http.put(
        f"/items/{seeded.items[1]}", json={"title": "mine"}, headers=_auth(seeded.tokens[0])
    )
    assert others.status_code == 400
    empty = await http.post("/items/", json={"title": ""}, headers=_auth(seeded.tokens[0]))
    assert empty.status_code == 422
