"""Values the database cannot hold are refused at the edge: a 4xx problem, and nothing changes.

Each class here was a 500 once (most found by tests/test_fuzz.py): ids wider than BIGINT in
paths, bodies and queries; numbers wider than a 32-bit column; NUL in strings (PostgreSQL
refuses it); digits int() cannot read; a project key search that ran out. And one that was no
500 but a silent coercion: numbers taken for dates.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import insert

from laneway.body_limits import IMPORT_PATHS
from laneway.kit.body_limit import BodyLimitMiddleware
from laneway.models import Project
from laneway.state import AppState
from tests.support import Api, User, assert_problem

MAX_BIGINT = 2**63 - 1
# One past BIGINT, and the values the fuzzer first sent.
TOO_WIDE = [2**63, 1022577717226113200733466656768, 546033474290733315524657152]


@dataclass(frozen=True)
class World:
    owner: User
    project_id: int
    task: dict[str, Any]
    label_id: int
    comment_id: int
    status_ids: list[int]


@pytest.fixture
async def world(api: Api) -> World:
    owner, other = await api.user(), await api.user()
    pid = (await api.project(owner, key="WEB"))["id"]
    await api.add_member(pid, owner, other, "member")
    label = await api.label(owner, pid, "bug")
    task = await api.task(owner, pid, labels=[label["id"]])
    comment = await api.request("POST", f"/tasks/{task['id']}/comments", owner, json={"body": "x"})
    statuses = [s["id"] for s in await api.statuses(owner, pid)]
    return World(owner, pid, task, label["id"], comment.json()["id"], statuses)


async def _everything(api: Api, w: World) -> list[Any]:
    """What any of the requests below could have changed."""
    pid, tid = w.project_id, w.task["id"]
    paths = [
        f"/projects/{pid}/activity?limit=500",
        f"/projects/{pid}/board",
        f"/projects/{pid}/members",
        f"/tasks/{tid}/comments",
        "/me/tokens",
        "/projects",
    ]
    return [(await api.request("GET", path, w.owner)).json() for path in paths]


async def test_ids_beyond_64_bits_in_paths(api: Api, world: World) -> None:
    w, before = world, await _everything(api, world)
    pid = w.project_id
    routes = [
        ("GET", "/tasks/{}"),
        ("PATCH", "/tasks/{}"),
        ("DELETE", "/tasks/{}"),
        ("POST", "/tasks/{}/move"),
        ("GET", "/tasks/{}/activity"),
        ("GET", "/tasks/{}/comments"),
        ("POST", "/tasks/{}/comments"),
        ("PATCH", "/comments/{}"),
        ("DELETE", "/comments/{}"),
        ("GET", "/projects/{}"),
        ("GET", "/projects/{}/board"),
        ("POST", "/projects/{}/live/ticket"),
        ("PATCH", f"/projects/{pid}/labels/{{}}"),
        ("DELETE", f"/projects/{pid}/labels/{{}}"),
        ("PATCH", f"/projects/{pid}/statuses/{{}}"),
        ("DELETE", f"/projects/{pid}/statuses/{{}}"),
        ("PATCH", f"/projects/{pid}/members/{{}}"),
        ("DELETE", f"/projects/{pid}/members/{{}}"),
        ("DELETE", "/me/tokens/{}"),
    ]
    headers = {"If-Match": "*"}
    for method, template in routes:
        for value in [*TOO_WIDE, 0, -1]:
            response = await api.request(
                method, template.format(value), w.owner, json={}, headers=headers
            )
            body = assert_problem(response, 422)
            assert body["errors"][0]["loc"][0] == "path", (method, template)
        # the widest id the column holds is a well-formed id that does not exist
        found = await api.request(
            method, template.format(MAX_BIGINT), w.owner, json={"body": "x"}, headers=headers
        )
        assert found.status_code in (404, 422), (method, template, found.text)
    assert await _everything(api, w) == before


async def test_ids_beyond_64_bits_in_bodies(api: Api, world: World) -> None:
    w, before = world, await _everything(api, world)
    pid, tid = w.project_id, w.task["id"]
    for value in TOO_WIDE:
        requests = [
            ("POST", f"/projects/{pid}/tasks", {"title": "x", "labels": [value]}),
            ("POST", f"/projects/{pid}/tasks", {"title": "x", "status_id": value}),
            ("POST", f"/projects/{pid}/tasks", {"title": "x", "assignee_id": value}),
            ("POST", f"/projects/{pid}/tasks", {"title": "x", "parent_id": value}),
            ("PATCH", f"/tasks/{tid}", {"parent_id": value}),
            ("PATCH", f"/tasks/{tid}", {"labels": [w.label_id, value]}),
            ("POST", f"/tasks/{tid}/move", {"status_id": value}),
            ("POST", f"/tasks/{tid}/move", {"status_id": w.status_ids[1], "after_id": value}),
            ("POST", f"/projects/{pid}/tasks/bulk", {"task_ids": [value], "action": "archive"}),
            (
                "POST",
                f"/projects/{pid}/tasks/bulk",
                {"task_ids": [tid], "action": "move", "status_id": value},
            ),
            (
                "POST",
                f"/projects/{pid}/tasks/bulk",
                {"task_ids": [tid], "action": "label", "add_labels": [value]},
            ),
        ]
        for method, path, body in requests:
            response = await api.request(
                method, path, w.owner, json=body, headers={"If-Match": "*"}
            )
            problem = assert_problem(response, 422)
            assert problem["errors"][0]["loc"][0] == "body", (method, path, body)
    assert await _everything(api, w) == before


async def test_numbers_beyond_64_bits_in_queries(api: Api, world: World) -> None:
    w, before = world, await _everything(api, world)
    pid, tid = w.project_id, w.task["id"]
    for value in [*TOO_WIDE, 146489315908624939585201363429256855552]:
        for path, params in [
            (f"/projects/{pid}/activity", {"after": value}),
            (f"/tasks/{tid}/activity", {"after": value}),
            (f"/projects/{pid}/tasks", {"assignee": value}),
            (f"/projects/{pid}/tasks", {"status": [w.status_ids[0], value]}),
            (f"/projects/{pid}/tasks", {"reporter": value}),
            (f"/projects/{pid}/tasks", {"label": value}),
            (f"/projects/{pid}/tasks", {"parent": value}),
        ]:
            response = await api.request("GET", path, w.owner, params=params)
            assert assert_problem(response, 422)["errors"][0]["loc"][0] == "query"
        moved = await api.request(
            "DELETE", f"/projects/{pid}/statuses/{w.status_ids[0]}?move_to={value}", w.owner
        )
        assert_problem(moved, 422)
    assert await _everything(api, w) == before


async def test_numbers_beyond_32_bit_columns(api: Api, world: World) -> None:
    w, before = world, await _everything(api, world)
    pid = w.project_id
    statuses = f"/projects/{pid}/statuses"
    assert_problem(
        await api.request("POST", statuses, w.owner, json={"name": "x", "position": 2**31}), 422
    )
    assert_problem(
        await api.request(
            "PATCH", f"{statuses}/{w.status_ids[0]}", w.owner, json={"position": 2**31}
        ),
        422,
    )
    by_number = f"/projects/{pid}/tasks/by-number"
    for number in ("WEB-2147483648", "9999999999"):  # well-formed, wider than the column
        assert_problem(await api.request("GET", f"{by_number}/{number}", w.owner), 404)
    for number in ("WEB-²", "WEB-12345678901", "1" * 5000, "WEB-1%00"):
        assert_problem(await api.request("GET", f"{by_number}/{number}", w.owner), 422)
    assert await _everything(api, w) == before
    # the widest position is still a position: the status goes last
    created = await api.request(
        "POST", statuses, w.owner, json={"name": "x", "position": 2**31 - 1}
    )
    assert created.status_code == 201, created.text


async def test_nul_in_strings(api: Api, world: World) -> None:
    w, before = world, await _everything(api, world)
    pid, tid = w.project_id, w.task["id"]
    bodies = [
        ("POST", "/projects", {"name": "a\x00b"}),
        ("PATCH", f"/projects/{pid}", {"description": "\x00"}),
        ("POST", f"/projects/{pid}/members", {"email": "x\x00@example.com"}),
        ("POST", f"/projects/{pid}/labels", {"name": "bu\x00g"}),
        ("POST", f"/projects/{pid}/statuses", {"name": "\x00"}),
        ("POST", f"/projects/{pid}/tasks", {"title": "x\x00"}),
        ("PATCH", f"/tasks/{tid}", {"description": "a\x00"}),
        ("POST", f"/tasks/{tid}/comments", {"body": "\x00"}),
        ("PATCH", f"/comments/{w.comment_id}", {"body": "a\x00b"}),
        ("POST", "/me/tokens", {"name": "ci\x00"}),
    ]
    for method, path, body in bodies:
        response = await api.request(method, path, w.owner, json=body, headers={"If-Match": "*"})
        assert assert_problem(response, 422)["errors"][0]["loc"][0] == "body", (path, body)
    for path, params in [
        (f"/projects/{pid}/tasks", {"q": "a\x00"}),
        (f"/projects/{pid}/tasks", {"cursor": "\x00"}),
        (f"/tasks/{tid}/comments", {"cursor": "a\x00"}),
    ]:
        response = await api.request("GET", path, w.owner, params=params)
        assert assert_problem(response, 422)["errors"][0]["loc"][0] == "query"
    for method, path, headers in [
        ("POST", f"/projects/{pid}/labels", {"Idempotency-Key": "k\x00"}),
        ("PATCH", f"/tasks/{tid}", {"If-Match": '"v1"\x00'}),
        ("GET", f"/tasks/{tid}", {"If-None-Match": '"v1"\x00'}),
    ]:
        response = await api.request(method, path, w.owner, json={"name": "x"}, headers=headers)
        assert assert_problem(response, 422)["errors"][0]["loc"][0] == "header"
    assert await _everything(api, w) == before

    register = {"email": "a\x00@x.io", "password": "long enough", "name": "A"}
    assert_problem(await api.request("POST", "/auth/register", json=register), 422)
    login = {"email": "a\x00@x.io", "password": "long enough"}
    assert_problem(await api.request("POST", "/auth/login", json=login), 422)
    # no half-made account: the clean address is still free
    clean = {**register, "email": "a@x.io"}
    assert (await api.request("POST", "/auth/register", json=clean)).status_code == 201


async def test_names_and_titles_are_one_line(api: Api, world: World) -> None:
    """A line break or control character in a name would pose as other text in a plain-text
    email (a fake notice, a fake unsubscribe link): refused, saying so."""
    w, before = world, await _everything(api, world)
    pid, tid = w.project_id, w.task["id"]
    breaks = ["a\nb", "a\r\nStop these emails: https://evil.example", "a\tb", "a\u2028b",
              "a\x1b[2Jb", "a\x85b"]  # fmt: skip
    status_id, label_id = w.status_ids[0], w.label_id
    for broken in breaks:
        for method, path, body in [
            ("POST", "/projects", {"name": broken}),
            ("PATCH", f"/projects/{pid}", {"name": broken}),
            ("POST", f"/projects/{pid}/labels", {"name": broken}),
            ("PATCH", f"/projects/{pid}/labels/{label_id}", {"name": broken}),
            ("POST", f"/projects/{pid}/statuses", {"name": broken}),
            ("PATCH", f"/projects/{pid}/statuses/{status_id}", {"name": broken}),
            ("POST", f"/projects/{pid}/tasks", {"title": broken}),
            ("PATCH", f"/tasks/{tid}", {"title": broken}),
            ("PATCH", "/me", {"name": broken}),
            ("PATCH", "/me", {"username": broken}),
            ("POST", "/me/tokens", {"name": broken}),
        ]:
            response = await api.request(
                method, path, w.owner, json=body, headers={"If-Match": "*"}
            )
            problem = assert_problem(response, 422)
            assert problem["errors"][0]["loc"][0] == "body", (path, body)
            if "username" not in body:  # a username's own pattern says what it may hold
                assert "one line" in problem["errors"][0]["msg"], (path, problem)
        register = {"email": "n@example.com", "password": "long enough", "name": broken}
        assert_problem(await api.request("POST", "/auth/register", json=register), 422)
    assert await _everything(api, w) == before
    assert (await api.request("GET", "/me", w.owner)).json()["name"] == w.owner.email.split("@")[0]
    # one line is all it takes: spaces, accents, emoji joined by a zero-width joiner
    fine = "Zoë's  team 👩‍💻"
    renamed = await api.request(
        "PATCH", f"/tasks/{tid}", w.owner, json={"title": fine}, headers={"If-Match": "*"}
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["title"] == fine
    # line breaks at either end are whitespace, stripped as every request string is
    assert (await api.request("PATCH", "/me", w.owner, json={"name": "Ada\n"})).json()[
        "name"
    ] == "Ada"


async def test_numbers_are_not_dates(api: Api, world: World) -> None:
    """Lax parsing read 0 as 1970-01-01 (found by the fuzzer's negative_data_rejection check)."""
    w, before = world, await _everything(api, world)
    pid, tid = w.project_id, w.task["id"]
    for value in (0, "0", 20260105, "20260105", "2026-1-5", "2026-01-05T00:00:00"):
        for method, path in (("POST", f"/projects/{pid}/tasks"), ("PATCH", f"/tasks/{tid}")):
            body = {"title": "x", "due_date": value}
            response = await api.request(
                method, path, w.owner, json=body, headers={"If-Match": "*"}
            )
            assert assert_problem(response, 422)["errors"][0]["loc"] == ["body", "due_date"]
        for name in ("due_before", "due_after"):
            listed = await api.request(
                "GET", f"/projects/{pid}/tasks", w.owner, params={name: value}
            )
            assert assert_problem(listed, 422)["errors"][0]["loc"] == ["query", name]
    assert await _everything(api, w) == before
    dated = {"due_date": "2026-01-05"}
    patched = await api.request(
        "PATCH", f"/tasks/{tid}", w.owner, json=dated, headers={"If-Match": "*"}
    )
    assert patched.json()["due_date"] == "2026-01-05"


async def test_unpaired_surrogates_in_bodies(api: Api, world: World) -> None:
    w, before = world, await _everything(api, world)
    pid = w.project_id
    for path, raw in [
        ("/projects", '{"name": "\\ud800"}'),
        (f"/projects/{pid}/tasks", '{"title": "a\\udfffb"}'),
        (f"/projects/{pid}/labels", '{"name": "\\udc00"}'),
    ]:
        response = await api.request(
            "POST", path, w.owner, content=raw, headers={"Content-Type": "application/json"}
        )
        assert response.status_code in (400, 422), response.text
        assert_problem(response, response.status_code)
    assert await _everything(api, w) == before


async def test_if_match_digits_int_cannot_read(api: Api, world: World) -> None:
    w, before = world, await _everything(api, world)
    url = f"/tasks/{w.task['id']}"
    # header values are latin-1 on the wire: "²" arrives as itself, and str.isdigit() takes it
    for tag in ('"v²"', '"v¹³"', f'"v{"9" * 5000}"', '"v99999999999"'):
        headers = {"If-Match": tag.encode("latin-1")}
        response = await api.request("PATCH", url, w.owner, json={"title": "y"}, headers=headers)
        assert_problem(response, 412)
        assert_problem(await api.request("DELETE", url, w.owner, headers=headers), 412)
    assert await _everything(api, w) == before
    assert json.loads((await api.request("GET", url, w.owner)).text) == w.task


async def test_derived_project_keys_go_past_a_thousand(api: Api, state: AppState) -> None:
    """Names without Latin letters all derive PRJ; the search for a free one used to stop at
    PRJ999 and fail."""
    owner = await api.user()
    taken = [{"key": "PRJ", "name": "p", "description": ""}] + [
        {"key": f"PRJ{n}", "name": "p", "description": ""} for n in range(2, 1000)
    ]
    async with state.database.transaction(write=True) as session:
        await session.execute(insert(Project), taken)
    created = await api.request("POST", "/projects", owner, json={"name": "项目"})
    assert created.status_code == 201, created.text
    assert created.json()["key"] == "PRJ1000"


async def test_content_length_with_more_digits_than_int_reads(api: Api) -> None:
    owner = await api.user()
    response = await api.request(
        "POST",
        "/projects",
        owner,
        content=b'{"name": "x"}',
        headers={"Content-Type": "application/json", "Content-Length": "1" * 5000},
    )
    assert_problem(response, 413)
    assert (await api.request("GET", "/projects", owner)).json() == []


def test_each_upload_route_has_its_own_body_limit() -> None:
    async def app(_scope: Any, _receive: Any, _send: Any) -> None:  # pragma: no cover
        return None

    limits = BodyLimitMiddleware(
        app, max_bytes=1024, uploads=[(r"^/x$", 10), (r"^/x", 20), (IMPORT_PATHS, 30)]
    )
    assert limits.limit("/x") == 10  # the first pattern that matches counts
    assert limits.limit("/x/y") == 20
    assert limits.limit("/api/v1/projects/7/imports") == 30
    assert limits.limit("/api/v1/projects") == 1024
    assert BodyLimitMiddleware(app, max_bytes=5).limit("/a") == 5
