from __future__ import annotations

from tests.support import Api, User, assert_problem


async def _team(api: Api) -> tuple[int, dict[str, User]]:
    users = {role: await api.user(role) for role in ("owner", "admin", "member", "viewer")}
    project = await api.project(users["owner"])
    for role in ("admin", "member", "viewer"):
        await api.add_member(project["id"], users["owner"], users[role], role)
    return project["id"], users


async def test_members_are_listed_with_roles(api: Api) -> None:
    pid, users = await _team(api)
    listed = (await api.request("GET", f"/projects/{pid}/members", users["viewer"])).json()
    assert {m["email"]: m["role"] for m in listed} == {u.email: role for role, u in users.items()}


async def test_non_member_cannot_read_list_or_change(api: Api) -> None:
    pid, users = await _team(api)
    stranger = await api.user()
    for method, path, body in (
        ("GET", f"/projects/{pid}", None),
        ("PATCH", f"/projects/{pid}", {"name": "mine now"}),
        ("GET", f"/projects/{pid}/members", None),
        ("POST", f"/projects/{pid}/members", {"email": stranger.email, "role": "owner"}),
        ("PATCH", f"/projects/{pid}/members/{users['viewer'].id}", {"role": "owner"}),
        ("DELETE", f"/projects/{pid}/members/{users['owner'].id}", None),
    ):
        response = await api.request(method, path, stranger, json=body)
        assert_problem(response, 404)
    # same answer as a project that does not exist
    assert_problem(await api.request("GET", "/projects/999999", stranger), 404)
    assert (await api.request("GET", "/projects", stranger)).json() == []
    members = (await api.request("GET", f"/projects/{pid}/members", users["owner"])).json()
    assert len(members) == 4
    project = (await api.request("GET", f"/projects/{pid}", users["owner"])).json()
    assert project["name"] == "Web site"


async def test_viewer_and_member_cannot_manage(api: Api) -> None:
    pid, users = await _team(api)
    newcomer = await api.user()
    for role in ("viewer", "member"):
        who = users[role]
        assert_problem(await api.request("PATCH", f"/projects/{pid}", who, json={"name": "x"}), 403)
        assert_problem(
            await api.request(
                "POST", f"/projects/{pid}/members", who, json={"email": newcomer.email}
            ),
            403,
        )
        assert_problem(
            await api.request(
                "PATCH",
                f"/projects/{pid}/members/{users['admin'].id}",
                who,
                json={"role": "viewer"},
            ),
            403,
        )
        assert_problem(
            await api.request("DELETE", f"/projects/{pid}/members/{users['admin'].id}", who), 403
        )
    assert len((await api.request("GET", f"/projects/{pid}/members", users["owner"])).json()) == 4


async def test_admin_manages_members_but_not_owners(api: Api) -> None:
    pid, users = await _team(api)
    admin, newcomer = users["admin"], await api.user()
    assert_problem(
        await api.request(
            "POST",
            f"/projects/{pid}/members",
            admin,
            json={"email": newcomer.email, "role": "owner"},
        ),
        403,
    )
    added = await api.request(
        "POST", f"/projects/{pid}/members", admin, json={"email": newcomer.email}
    )
    assert added.json()["role"] == "member"
    promoted = await api.request(
        "PATCH", f"/projects/{pid}/members/{newcomer.id}", admin, json={"role": "admin"}
    )
    assert promoted.json()["role"] == "admin"
    assert_problem(
        await api.request(
            "PATCH", f"/projects/{pid}/members/{users['owner'].id}", admin, json={"role": "member"}
        ),
        403,
    )
    assert_problem(
        await api.request("DELETE", f"/projects/{pid}/members/{users['owner'].id}", admin), 403
    )


async def test_adding_unknown_or_existing_member(api: Api) -> None:
    pid, users = await _team(api)
    owner = users["owner"]
    assert_problem(
        await api.request(
            "POST", f"/projects/{pid}/members", owner, json={"email": "ghost@example.com"}
        ),
        404,
    )
    assert_problem(
        await api.request(
            "POST", f"/projects/{pid}/members", owner, json={"email": users["viewer"].email}
        ),
        409,
    )
    assert_problem(
        await api.request(
            "POST",
            f"/projects/{pid}/members",
            owner,
            json={"email": users["viewer"].email, "role": "superuser"},
        ),
        422,
    )


async def test_removed_member_loses_access_at_once(api: Api) -> None:
    pid, users = await _team(api)
    member = users["member"]
    assert (await api.request("GET", f"/projects/{pid}", member)).status_code == 200
    removed = await api.request("DELETE", f"/projects/{pid}/members/{member.id}", users["admin"])
    assert removed.status_code == 204
    assert_problem(await api.request("GET", f"/projects/{pid}", member), 404)
    assert (await api.request("GET", "/projects", member)).json() == []


async def test_demoted_member_loses_write_at_once(api: Api) -> None:
    pid, users = await _team(api)
    admin = users["admin"]
    demoted = await api.request(
        "PATCH", f"/projects/{pid}/members/{admin.id}", users["owner"], json={"role": "viewer"}
    )
    assert demoted.status_code == 200
    assert_problem(await api.request("PATCH", f"/projects/{pid}", admin, json={"name": "x"}), 403)


async def test_last_owner_cannot_be_removed_or_demoted(api: Api) -> None:
    pid, users = await _team(api)
    owner = users["owner"]
    assert_problem(await api.request("DELETE", f"/projects/{pid}/members/{owner.id}", owner), 409)
    assert_problem(
        await api.request(
            "PATCH", f"/projects/{pid}/members/{owner.id}", owner, json={"role": "admin"}
        ),
        409,
    )
    # with a second owner, the first may step down and leave
    promoted = await api.request(
        "PATCH", f"/projects/{pid}/members/{users['admin'].id}", owner, json={"role": "owner"}
    )
    assert promoted.status_code == 200
    left = await api.request("DELETE", f"/projects/{pid}/members/{owner.id}", owner)
    assert left.status_code == 204
    assert_problem(await api.request("GET", f"/projects/{pid}", owner), 404)


async def test_any_member_may_leave(api: Api) -> None:
    pid, users = await _team(api)
    viewer = users["viewer"]
    assert (
        await api.request("DELETE", f"/projects/{pid}/members/{viewer.id}", viewer)
    ).status_code == 204
    assert_problem(await api.request("GET", f"/projects/{pid}", viewer), 404)


async def test_member_of_another_project_cannot_be_addressed_through_mine(api: Api) -> None:
    pid_a, users_a = await _team(api)
    owner_b = await api.user()
    pid_b = (await api.project(owner_b, name="Other"))["id"]
    target = users_a["member"]
    assert_problem(
        await api.request(
            "PATCH", f"/projects/{pid_b}/members/{target.id}", owner_b, json={"role": "viewer"}
        ),
        404,
    )
    assert_problem(
        await api.request("DELETE", f"/projects/{pid_b}/members/{target.id}", owner_b), 404
    )
    members_a = (await api.request("GET", f"/projects/{pid_a}/members", users_a["owner"])).json()
    assert {m["user_id"]: m["role"] for m in members_a}[target.id] == "member"
