"""Password changes, signing out everywhere, token scopes and expiry, and write locks that
never wait on a password hash."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import event

from laneway.app import create_app
from laneway.auth import service as auth_service
from laneway.db import declared, declares_writes, get_session
from laneway.state import AppState
from tests.support import PASSWORD, Api, User, assert_problem


async def _login(api: Api, user: User, password: str = PASSWORD) -> User:
    response = await api.client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": password}
    )
    assert response.status_code == 200, response.text
    return User(id=user.id, email=user.email, token=response.json()["token"])


async def _me(api: Api, user: User) -> int:
    return (await api.request("GET", "/me", user)).status_code


async def _personal(api: Api, session: User, scope: str = "write") -> tuple[User, int]:
    """A personal token of the session's account, and its id."""
    made = await api.request("POST", "/me/tokens", session, json={"name": "ci", "scope": scope})
    assert made.status_code == 201, made.text
    return User(id=session.id, email=session.email, token=made.json()["token"]), made.json()["id"]


async def _token_ids(api: Api, session: User) -> set[int]:
    return {t["id"] for t in (await api.request("GET", "/me/tokens", session)).json()}


async def test_changing_the_password_ends_the_other_sessions(api: Api) -> None:
    laptop = await api.user()
    phone = await _login(api, laptop)
    wrong = await api.request(
        "POST",
        "/me/password",
        laptop,
        json={"current_password": "not it at all", "new_password": "a brand new one"},
    )
    assert_problem(wrong, 403)
    changed = await api.request(
        "POST",
        "/me/password",
        laptop,
        json={"current_password": PASSWORD, "new_password": "a brand new one"},
    )
    assert changed.status_code == 204, changed.text
    assert await _me(api, laptop) == 200  # the session that asked stays
    assert await _me(api, phone) == 401
    old = await api.client.post(
        "/api/v1/auth/login", json={"email": laptop.email, "password": PASSWORD}
    )
    assert_problem(old, 401)
    await _login(api, laptop, "a brand new one")


async def test_changing_the_password_ends_personal_tokens_unless_asked_to_keep_them(
    api: Api,
) -> None:
    laptop = await api.user()
    minted, _ = await _personal(api, laptop)  # by someone who knew the old password
    reader, _ = await _personal(api, laptop, "read")
    assert await _me(api, minted) == 200
    assert await _me(api, reader) == 200
    changed = await api.request(
        "POST",
        "/me/password",
        laptop,
        json={"current_password": PASSWORD, "new_password": "a brand new one"},
    )
    assert changed.status_code == 204, changed.text
    assert await _me(api, minted) == 401
    assert await _me(api, reader) == 401
    assert await _me(api, laptop) == 200  # the session that asked stays

    phone = await _login(api, laptop, "a brand new one")
    kept, kept_id = await _personal(api, laptop)
    routine = await api.request(
        "POST",
        "/me/password",
        laptop,
        json={
            "current_password": "a brand new one",
            "new_password": "a routine change",
            "revoke_tokens": False,
        },
    )
    assert routine.status_code == 204, routine.text
    assert await _me(api, kept) == 200
    assert await _me(api, phone) == 401  # other sessions end either way
    assert kept_id in await _token_ids(api, laptop)
    not_a_flag = await api.request(
        "POST",
        "/me/password",
        laptop,
        json={"current_password": "a routine change", "new_password": "x" * 8, "revoke_tokens": 0},
    )
    assert_problem(not_a_flag, 422)


async def test_an_operators_reset_ends_every_credential_of_the_account(
    api: Api, state: AppState
) -> None:
    user, bystander = await api.user(), await api.user()
    phone = await _login(api, user)
    writer, _ = await _personal(api, user)
    reader, _ = await _personal(api, user, "read")
    credentials = [user, phone, writer, reader]
    assert [await _me(api, c) for c in credentials] == [200] * 4  # cached now
    ended = await auth_service.reset_password(
        state.database, state.passwords, email=user.email, password="recovered at last"
    )
    assert [await _me(api, c) for c in credentials] == [401] * 4
    assert ended == 4
    assert await _token_ids(api, await _login(api, user, "recovered at last")) != set()
    assert await _me(api, bystander) == 200


async def test_a_personal_token_revokes_itself_and_nothing_else(api: Api) -> None:
    laptop = await api.user()
    leaked, leaked_id = await _personal(api, laptop)
    other, other_id = await _personal(api, laptop)
    reader, reader_id = await _personal(api, laptop, "read")
    before = await _token_ids(api, laptop)
    # the owner signs in again and again; the leaked token tries to end each new session
    for _ in range(2):
        phone = await _login(api, laptop)
        phone_id = max(await _token_ids(api, laptop))
        refused = await api.request("DELETE", f"/me/tokens/{phone_id}", leaked)
        assert_problem(refused, 403)
        assert await _me(api, phone) == 200
    for target in (other_id, reader_id, 10**12):  # another token, or one that is nobody's
        assert_problem(await api.request("DELETE", f"/me/tokens/{target}", leaked), 403)
    assert await _me(api, other) == 200
    assert await _me(api, reader) == 200
    assert before <= await _token_ids(api, laptop)
    # a read token changes nothing, itself included
    assert_problem(await api.request("DELETE", f"/me/tokens/{reader_id}", reader), 403)
    # a token may end itself; a session may end any token of the account
    assert (await api.request("DELETE", f"/me/tokens/{leaked_id}", leaked)).status_code == 204
    assert await _me(api, leaked) == 401
    assert (await api.request("DELETE", f"/me/tokens/{other_id}", phone)).status_code == 204
    assert await _me(api, other) == 401


async def test_a_read_token_gets_a_live_ticket_and_writes_nothing_else(api: Api) -> None:
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    reader, _ = await _personal(api, owner, "read")
    ticket = await api.request("POST", f"/projects/{pid}/live/ticket", reader)
    assert ticket.status_code == 200, ticket.text
    assert ticket.json()["ticket"].startswith("lwt_")
    assert_problem(
        await api.request("POST", f"/projects/{pid}/tasks", reader, json={"title": "x"}), 403
    )
    outsider = await api.user()
    outsiders_reader, _ = await _personal(api, outsider, "read")
    refused = await api.request("POST", f"/projects/{pid}/live/ticket", outsiders_reader)
    assert_problem(refused, 404)  # reading is no wider than the account's own


def test_only_the_live_ticket_counts_as_reading_though_not_a_get() -> None:
    """A read token may call a route that is no GET only if the route says it only reads."""
    from laneway.auth.deps import marked_reading

    reading = sorted(
        f"{','.join(sorted(route.methods))} {route.path}"
        for route in _routes(create_app().routes)
        if marked_reading(route.endpoint)
    )
    assert reading == ["POST /projects/{project_id}/live/ticket"]


async def test_sign_out_everywhere_keeps_personal_tokens(api: Api) -> None:
    laptop = await api.user()
    phone = await _login(api, laptop)
    made = await api.request("POST", "/me/tokens", laptop, json={"name": "ci"})
    personal = User(id=laptop.id, email=laptop.email, token=made.json()["token"])
    assert (await api.request("POST", "/auth/logout-everywhere", phone)).status_code == 204
    assert await _me(api, laptop) == 401
    assert await _me(api, phone) == 401
    assert await _me(api, personal) == 200


async def test_personal_tokens_have_a_scope_and_an_expiry(api: Api) -> None:
    user = await api.user()
    pid = (await api.project(user))["id"]
    made = await api.request(
        "POST", "/me/tokens", user, json={"name": "dashboard", "scope": "read"}
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["scope"] == "read"
    expires = datetime.fromisoformat(body["expires_at"])
    assert abs(expires - (datetime.now(UTC) + timedelta(days=90))) < timedelta(minutes=5)
    reader = User(id=user.id, email=user.email, token=body["token"])
    assert (await api.request("GET", f"/projects/{pid}/board", reader)).status_code == 200
    refused = await api.request("POST", f"/projects/{pid}/tasks", reader, json={"title": "x"})
    assert_problem(refused, 403)
    assert (await api.request("GET", f"/projects/{pid}/tasks", user)).json()["items"] == []


async def test_only_a_signed_in_session_manages_the_account(api: Api) -> None:
    user = await api.user()
    made = await api.request("POST", "/me/tokens", user, json={"name": "ci"})
    token = User(id=user.id, email=user.email, token=made.json()["token"])
    for path, body in (
        ("/me/tokens", {"name": "another"}),
        ("/me/password", {"current_password": PASSWORD, "new_password": "taken over"}),
        ("/invitations", {"email": "friend@example.com"}),
        ("/auth/logout-everywhere", None),
    ):
        assert_problem(await api.request("POST", path, token, json=body), 403)
    assert len((await api.request("GET", "/me/tokens", user)).json()) == 2
    assert await _me(api, user) == 200


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_task_write_goes_through_while_a_sign_up_hashes(api: Api, state: AppState) -> None:
    """SQLite has one writer: a sign-up must not hold the write lock while it hashes."""
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    hashing, release = asyncio.Event(), asyncio.Event()
    real_hash = state.passwords.hash

    async def slow_hash(password: str) -> str:
        hashing.set()
        await release.wait()
        return await real_hash(password)

    state.passwords.hash = slow_hash  # type: ignore[method-assign]
    sign_up = asyncio.create_task(
        api.client.post(
            "/api/v1/auth/register",
            json={"email": "late@example.com", "password": PASSWORD, "name": "Late"},
        )
    )
    await hashing.wait()
    async with asyncio.timeout(10):  # waiting on the sign-up's lock would never end
        created = await api.request("POST", f"/projects/{pid}/tasks", owner, json={"title": "x"})
    assert created.status_code == 201
    assert not sign_up.done()  # the hash was still running when the task was written
    release.set()
    assert (await sign_up).status_code == 201


def _routes(candidates: list[Any]) -> Iterator[APIRoute]:
    for route in candidates:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):  # FastAPI's included routers
            yield from _routes(route.original_router.routes)


def test_every_route_declares_whether_it_writes() -> None:
    """Routes on the request's session write only if declared (SQLite's write lock)."""

    def uses_session(route: APIRoute) -> bool:
        stack = list(route.dependant.dependencies)
        while stack:
            dependency = stack.pop()
            if dependency.call is get_session:
                return True
            stack.extend(dependency.dependencies)
        return False

    checked = 0
    for route in _routes(create_app().routes):
        if route.methods & {"GET", "HEAD"}:
            assert not declares_writes(route.endpoint), route.path
        elif uses_session(route):
            assert declared(route.endpoint), f"{route.methods} {route.path} must declare"
            checked += 1
    assert checked > 20


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_declared_writers_take_the_write_lock_and_readers_do_not(
    api: Api, state: AppState
) -> None:
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    begins: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("BEGIN"):
            begins.append(statement)

    event.listen(state.database.engine.sync_engine, "before_cursor_execute", record)
    try:
        await api.request("POST", f"/projects/{pid}/tasks", owner, json={"title": "x"})
        written = list(begins)
        begins.clear()
        await api.request("GET", f"/projects/{pid}/board", owner)
    finally:
        event.remove(state.database.engine.sync_engine, "before_cursor_execute", record)
    assert written == ["BEGIN IMMEDIATE"]
    assert begins == ["BEGIN"]
