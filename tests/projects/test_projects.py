from __future__ import annotations

from tests.support import Api, StatementCounter, assert_problem


async def test_create_list_get_update(api: Api) -> None:
    owner = await api.user()
    created = await api.project(owner, name="Web site", key="web", description="Public site")
    assert created["key"] == "WEB"
    assert created["role"] == "owner"
    assert created["archived_at"] is None

    listed = (await api.request("GET", "/projects", owner)).json()
    assert [p["id"] for p in listed] == [created["id"]]

    got = await api.request("GET", f"/projects/{created['id']}", owner)
    assert got.json()["description"] == "Public site"

    patched = await api.request(
        "PATCH", f"/projects/{created['id']}", owner, json={"name": "Website"}
    )
    assert patched.status_code == 200
    assert patched.json()["name"] == "Website"
    assert patched.json()["description"] == "Public site"


async def test_key_is_derived_and_kept_unique(api: Api) -> None:
    owner = await api.user()
    first = await api.project(owner, name="Mobile app")
    second = await api.project(owner, name="Mobile apps")
    third = await api.project(owner, name="!!!")
    assert first["key"] == "MA"
    assert second["key"] == "MA2"
    assert third["key"] == "PRJ"


async def test_explicit_key_conflict_is_409(api: Api) -> None:
    owner = await api.user()
    await api.project(owner, key="OPS")
    assert_problem(
        await api.request("POST", "/projects", owner, json={"name": "x", "key": "OPS"}), 409
    )


async def test_invalid_key_is_422(api: Api) -> None:
    owner = await api.user()
    for key in ("1AB", "A", "TOO-LONG-KEY", "AB CD"):
        response = await api.request("POST", "/projects", owner, json={"name": "x", "key": key})
        assert_problem(response, 422)
    assert (await api.request("GET", "/projects", owner)).json() == []


async def test_only_my_projects_are_listed(api: Api) -> None:
    alice, bob = await api.user(), await api.user()
    await api.project(alice, name="Alpha")
    mine = await api.project(bob, name="Beta")
    listed = (await api.request("GET", "/projects", bob)).json()
    assert [p["id"] for p in listed] == [mine["id"]]


async def test_archive_makes_read_only_and_restore_by_owner(api: Api) -> None:
    owner, admin = await api.user(), await api.user()
    project = await api.project(owner)
    pid = project["id"]
    await api.add_member(pid, owner, admin, "admin")

    assert_problem(
        await api.request("PATCH", f"/projects/{pid}", admin, json={"archived": True}), 403
    )
    archived = await api.request("PATCH", f"/projects/{pid}", owner, json={"archived": True})
    assert archived.json()["archived_at"] is not None

    assert (await api.request("GET", "/projects", owner)).json() == []
    listed = await api.request("GET", "/projects", owner, params={"include_archived": "true"})
    assert [p["id"] for p in listed.json()] == [pid]

    assert_problem(await api.request("PATCH", f"/projects/{pid}", owner, json={"name": "x"}), 409)
    outsider = await api.user()
    assert_problem(
        await api.request(
            "POST", f"/projects/{pid}/members", owner, json={"email": outsider.email}
        ),
        409,
    )
    restored = await api.request("PATCH", f"/projects/{pid}", owner, json={"archived": False})
    assert restored.json()["archived_at"] is None
    assert restored.json()["name"] == "Web site"


async def test_project_read_costs_one_statement_then_none(
    api: Api, statements: StatementCounter
) -> None:
    owner = await api.user()
    project = await api.project(owner)
    statements.reset()
    assert (await api.request("GET", f"/projects/{project['id']}", owner)).status_code == 200
    assert statements.count == 1, statements.statements  # my role; the token was cached
    statements.reset()
    assert (await api.request("GET", f"/projects/{project['id']}", owner)).status_code == 200
    assert statements.count == 0, statements.statements
