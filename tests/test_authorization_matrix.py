"""Every API route, called as owner, admin, member, viewer, non-member and anonymous.

A cell that is denied must answer with the right status and change no row; a cell that is
allowed must succeed. A route that is not in ROUTES fails the suite, so a new endpoint cannot
ship without stating who may call it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from laneway.auth import service as auth_service
from laneway.models import Base, Membership, Project, Role, TokenKind
from laneway.state import AppState
from tests.support import PASSWORD, Api, User, assert_problem

PUBLIC = "public"
ANY_USER = "any user"
CALLERS = ("owner", "admin", "member", "viewer", "outsider", "anonymous")
ROLE_ORDER = ("viewer", "member", "admin", "owner")
_serial = itertools.count(1)


@dataclass
class World:
    project_id: int
    users: dict[str, User]
    target: User  # a plain member that routes about "a member" act on

    def ids(self) -> dict[str, Any]:
        return {"project_id": self.project_id, "user_id": self.target.id, "token_id": 0}


@dataclass(frozen=True)
class Route:
    least: str  # PUBLIC, ANY_USER or the least project role
    ok: int
    body: Callable[[World], dict[str, Any]] | None = None


ROUTES: dict[tuple[str, str], Route] = {
    ("POST", "/api/v1/auth/register"): Route(PUBLIC, 201),
    ("POST", "/api/v1/auth/login"): Route(PUBLIC, 200),
    ("POST", "/api/v1/auth/logout"): Route(ANY_USER, 204),
    ("GET", "/api/v1/me"): Route(ANY_USER, 200),
    ("GET", "/api/v1/me/tokens"): Route(ANY_USER, 200),
    ("POST", "/api/v1/me/tokens"): Route(ANY_USER, 201, lambda w: {"name": "cli"}),
    ("DELETE", "/api/v1/me/tokens/{token_id}"): Route(ANY_USER, 204),
    ("GET", "/api/v1/projects"): Route(ANY_USER, 200),
    ("POST", "/api/v1/projects"): Route(ANY_USER, 201, lambda w: {"name": "Another"}),
    ("GET", "/api/v1/projects/{project_id}"): Route("viewer", 200),
    ("PATCH", "/api/v1/projects/{project_id}"): Route("admin", 200, lambda w: {"name": "Renamed"}),
    ("GET", "/api/v1/projects/{project_id}/members"): Route("viewer", 200),
    ("POST", "/api/v1/projects/{project_id}/members"): Route(
        "admin", 201, lambda w: {"email": w.users["outsider"].email, "role": "viewer"}
    ),
    ("PATCH", "/api/v1/projects/{project_id}/members/{user_id}"): Route(
        "admin", 200, lambda w: {"role": "viewer"}
    ),
    ("DELETE", "/api/v1/projects/{project_id}/members/{user_id}"): Route("admin", 204),
}


async def test_every_route_is_in_the_matrix(api: Api) -> None:
    document = (await api.client.get("/openapi.json")).json()
    documented = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        if path.startswith("/api/")
        for method in operations
    }
    assert documented == set(ROUTES)


async def _world(state: AppState) -> World:
    """Users, tokens and a project with one member per role, written straight to the database."""
    async with state.database.session() as session, session.begin():
        users: dict[str, User] = {}
        for name in (*ROLE_ORDER, "outsider", "target"):
            n = next(_serial)
            account = await auth_service.register(
                session, state.passwords, email=f"m{n}@example.com", password=PASSWORD, name=name
            )
            _, secret = await auth_service.issue_token(
                session, account, kind=TokenKind.session, name="login", expires_at=None
            )
            users[name] = User(id=account.id, email=account.email, token=secret)
        project = Project(key=f"M{n}", name="Matrix", description="")
        session.add(project)
        await session.flush()
        session.add_all(
            Membership(project_id=project.id, user_id=users[name].id, role=Role(role))
            for name, role in (
                ("owner", "owner"),
                ("admin", "admin"),
                ("member", "member"),
                ("viewer", "viewer"),
                ("target", "member"),
            )
        )
    return World(project_id=project.id, users=users, target=users.pop("target"))


async def _snapshot(state: AppState) -> dict[str, list[tuple[Any, ...]]]:
    async with state.database.session(write=False) as session:
        return {
            table.name: [
                tuple(row)
                for row in await session.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in Base.metadata.sorted_tables
        }


def _expected_denial(route: Route, caller: str) -> int | None:
    if route.least == PUBLIC:
        return None
    if caller == "anonymous":
        return 401
    if route.least == ANY_USER:
        return None
    if caller == "outsider":
        return 404
    if ROLE_ORDER.index(caller) < ROLE_ORDER.index(route.least):
        return 403
    return None


async def _call(api: Api, world: World, method: str, path: str, caller: str) -> httpx.Response:
    route = ROUTES[(method, path)]
    user = world.users.get(caller)
    ids = world.ids()
    if "{token_id}" in path and user is not None:
        ids["token_id"] = (await api.request("GET", "/me/tokens", user)).json()[0]["id"]
    url = path.removeprefix("/api/v1").format(**ids)
    return await api.request(method, url, user, json=route.body(world) if route.body else None)


@pytest.mark.parametrize(
    ("method", "path"),
    sorted(key for key, route in ROUTES.items() if route.least != PUBLIC),
    ids=lambda v: str(v),
)
async def test_route_for_every_caller(api: Api, state: AppState, method: str, path: str) -> None:
    route = ROUTES[(method, path)]
    denied = [c for c in CALLERS if _expected_denial(route, c) is not None]
    allowed = [c for c in CALLERS if c not in denied]

    world = await _world(state)
    before = await _snapshot(state)
    for caller in denied:
        response = await _call(api, world, method, path, caller)
        assert_problem(response, _expected_denial(route, caller) or 0)
        assert await _snapshot(state) == before, f"{caller} changed rows through {method} {path}"

    for caller in allowed:
        if method != "GET":
            world = await _world(state)  # a write may change what the next caller sees
        response = await _call(api, world, method, path, caller)
        assert response.status_code == route.ok, (caller, response.text)
