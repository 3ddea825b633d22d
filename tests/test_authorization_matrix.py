"""Every API route, called as owner, admin, member, viewer, non-member and anonymous.

A cell that is denied must answer with the right status and change no row; a cell that is
allowed must succeed. A route that is not in ROUTES fails the suite, so a new endpoint cannot
ship without stating who may call it. Ids of another project, in the URL or in the body, are
refused and change nothing either.

The world (two projects, a member of each role, things in them) is built once per backend
through the services, and its rows are kept: each test starts from them, and each caller of a
route that writes gets them afresh, so no caller sees what another one changed.
"""

from __future__ import annotations

import io
import itertools
import shutil
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import select

from laneway.app import create_app
from laneway.attachments import service as attachment_service
from laneway.auth import service as auth_service
from laneway.comments import service as comment_service
from laneway.config import CacheSettings, Settings
from laneway.labels import service as label_service
from laneway.labels.schemas import LabelCreateIn
from laneway.models import (
    Base,
    Notification,
    Role,
    TokenKind,
    Transfer,
    TransferKind,
    TransferState,
    Webhook,
)
from laneway.projects import service as project_service
from laneway.projects.access import ProjectAccess
from laneway.state import AppState
from laneway.statuses import service as status_service
from laneway.statuses.schemas import StatusCreateIn
from laneway.tasks import service as task_service
from laneway.tasks.access import TaskAccess
from laneway.tasks.schemas import TaskCreateIn
from laneway.transfer import queue
from laneway.webhooks import service as webhook_service
from laneway.webhooks import signing
from tests.conftest import BACKENDS, in_own_thread, make_settings, truncate_postgres
from tests.saved_rows import SavedRows
from tests.support import PASSWORD, Api, User, assert_problem

pytestmark = pytest.mark.asyncio(loop_scope="module")
PUBLIC = "public"
ANY_USER = "any user"
CALLERS = ("owner", "admin", "member", "viewer", "outsider", "anonymous")
ROLE_ORDER = ("viewer", "member", "admin", "owner")
ANY_VERSION = {"If-Match": "*"}
_serial = itertools.count(1)


@dataclass
class Side:
    """One project and the things in it that routes address."""

    project_id: int
    key: str
    task_id: int
    task_number: int
    status_id: int  # the first status (where tasks are)
    spare_status_id: int  # an empty status, safe to rename or delete
    label_id: int
    webhook_id: int
    delivery_id: int
    comments: dict[str, int] = field(default_factory=dict)  # author role -> comment id
    attachments: dict[str, int] = field(default_factory=dict)  # uploader role -> its id


@dataclass
class World:
    a: Side
    b: Side  # another project; A's owner is a member of it too
    users: dict[str, User]
    target: User  # a plain member of A that routes about "a member" act on
    b_only: User  # a member of B only
    transfers: dict[str, int]  # caller -> a finished export of theirs
    notifications: dict[str, int]  # caller -> one of theirs

    def ids(self, caller: str) -> dict[str, Any]:
        return {
            "project_id": self.a.project_id,
            "user_id": self.target.id,
            "token_id": 0,
            "task_id": self.a.task_id,
            "number": f"{self.a.key}-{self.a.task_number}",
            "status_id": self.a.spare_status_id,
            "label_id": self.a.label_id,
            "comment_id": self.a.comments.get(caller, self.a.comments["owner"]),
            "attachment_id": self.a.attachments.get(caller, self.a.attachments["owner"]),
            "webhook_id": self.a.webhook_id,
            "delivery_id": self.a.delivery_id,
            "transfer_id": self.transfers.get(caller, 0),
            "notification_id": self.notifications.get(caller, 0),
        }


@dataclass(frozen=True)
class Route:
    least: str  # PUBLIC, ANY_USER or the least project role
    ok: int
    body: Callable[[World], Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    query: str = ""
    files: dict[str, Any] | None = None  # a multipart/form-data body instead of JSON


P = "/api/v1/projects/{project_id}"
T = "/api/v1/tasks/{task_id}"
W = "/api/v1/webhooks/{webhook_id}"
PUBLIC_URL = "http://93.184.215.14/hook"  # a public address: no lookup, and never contacted
ROUTES: dict[tuple[str, str], Route] = {
    ("POST", "/api/v1/auth/register"): Route(PUBLIC, 201),
    ("POST", "/api/v1/auth/login"): Route(PUBLIC, 200),
    ("POST", "/api/v1/auth/logout"): Route(ANY_USER, 204),
    ("POST", "/api/v1/auth/logout-everywhere"): Route(ANY_USER, 204),
    ("POST", "/api/v1/me/password"): Route(
        ANY_USER, 204, lambda w: {"current_password": PASSWORD, "new_password": "a new password"}
    ),
    ("POST", "/api/v1/invitations"): Route(ANY_USER, 201, lambda w: {"email": "new@example.com"}),
    ("GET", "/api/v1/me"): Route(ANY_USER, 200),
    ("GET", "/api/v1/me/tokens"): Route(ANY_USER, 200),
    ("POST", "/api/v1/me/tokens"): Route(ANY_USER, 201, lambda w: {"name": "cli"}),
    ("DELETE", "/api/v1/me/tokens/{token_id}"): Route(ANY_USER, 204),
    ("GET", "/api/v1/projects"): Route(ANY_USER, 200),
    ("POST", "/api/v1/projects"): Route(ANY_USER, 201, lambda w: {"name": "Another"}),
    ("GET", P): Route("viewer", 200),
    ("PATCH", P): Route("admin", 200, lambda w: {"name": "Renamed"}),
    ("GET", f"{P}/members"): Route("viewer", 200),
    ("POST", f"{P}/members"): Route(
        "admin", 201, lambda w: {"email": w.users["outsider"].email, "role": "viewer"}
    ),
    ("PATCH", f"{P}/members/{{user_id}}"): Route("admin", 200, lambda w: {"role": "viewer"}),
    ("DELETE", f"{P}/members/{{user_id}}"): Route("admin", 204),
    ("GET", f"{P}/statuses"): Route("viewer", 200),
    ("POST", f"{P}/statuses"): Route("admin", 201, lambda w: {"name": "QA"}),
    ("PATCH", f"{P}/statuses/{{status_id}}"): Route("admin", 200, lambda w: {"name": "Later"}),
    ("DELETE", f"{P}/statuses/{{status_id}}"): Route("admin", 204),
    ("GET", f"{P}/labels"): Route("viewer", 200),
    ("POST", f"{P}/labels"): Route("member", 201, lambda w: {"name": "urgent"}),
    ("PATCH", f"{P}/labels/{{label_id}}"): Route("member", 200, lambda w: {"name": "defect"}),
    ("DELETE", f"{P}/labels/{{label_id}}"): Route("admin", 204),
    ("GET", f"{P}/board"): Route("viewer", 200),
    ("GET", f"{P}/activity"): Route("viewer", 200),
    ("POST", f"{P}/live/ticket"): Route("viewer", 200),
    ("GET", f"{P}/tasks"): Route("viewer", 200),
    ("POST", f"{P}/tasks"): Route("member", 201, lambda w: {"title": "New"}),
    ("GET", f"{P}/tasks/counts"): Route("viewer", 200),
    ("GET", f"{P}/tasks/by-number/{{number}}"): Route("viewer", 200),
    ("POST", f"{P}/tasks/bulk"): Route(
        "member", 200, lambda w: {"task_ids": [w.a.task_id], "action": "archive"}
    ),
    ("GET", T): Route("viewer", 200),
    ("PATCH", T): Route("member", 200, lambda w: {"title": "Edited"}, ANY_VERSION),
    ("DELETE", T): Route("member", 204, headers=ANY_VERSION),
    ("POST", f"{T}/move"): Route(
        "member", 200, lambda w: {"status_id": w.a.spare_status_id}, ANY_VERSION
    ),
    ("GET", f"{T}/activity"): Route("viewer", 200),
    ("GET", f"{T}/comments"): Route("viewer", 200),
    ("POST", f"{T}/comments"): Route("member", 201, lambda w: {"body": "Looks good"}),
    ("PATCH", "/api/v1/comments/{comment_id}"): Route("member", 200, lambda w: {"body": "Edit"}),
    ("DELETE", "/api/v1/comments/{comment_id}"): Route("member", 204),
    ("GET", f"{T}/attachments"): Route("viewer", 200),
    ("POST", f"{T}/attachments"): Route(
        "member", 201, files={"file": ("notes.txt", b"some notes", "text/plain")}
    ),
    ("GET", "/api/v1/attachments/{attachment_id}"): Route("viewer", 200),
    # each member's own (another's needs an admin: tests/attachments)
    ("DELETE", "/api/v1/attachments/{attachment_id}"): Route("member", 204),
    ("GET", f"{P}/webhooks"): Route("admin", 200),
    ("POST", f"{P}/webhooks"): Route("admin", 201, lambda w: {"url": PUBLIC_URL, "events": ["*"]}),
    ("GET", W): Route("admin", 200),
    ("PATCH", W): Route("admin", 200, lambda w: {"events": ["task.created"]}),
    ("DELETE", W): Route("admin", 204),
    ("GET", f"{W}/deliveries"): Route("admin", 200),
    ("POST", f"{W}/ping"): Route("admin", 202),
    ("POST", f"{W}/deliveries/{{delivery_id}}/redeliver"): Route("admin", 202),
    ("POST", f"{P}/exports"): Route("admin", 202, lambda w: {"format": "csv"}),
    ("POST", f"{P}/imports"): Route("member", 202, lambda w: ["a CSV"], query="?map=title=T"),
    ("POST", "/api/v1/imports"): Route(ANY_USER, 202, lambda w: {"format": "laneway.project"}),
    ("GET", "/api/v1/transfers"): Route(ANY_USER, 200),
    # each caller's own (another's is a 404: _mixed)
    ("GET", "/api/v1/transfers/{transfer_id}"): Route(ANY_USER, 200),
    ("GET", "/api/v1/transfers/{transfer_id}/download"): Route(ANY_USER, 200),
    ("PATCH", "/api/v1/me"): Route(ANY_USER, 200, lambda w: {"name": "Renamed"}),
    ("GET", "/api/v1/me/tasks"): Route(ANY_USER, 200),
    ("GET", "/api/v1/me/notifications"): Route(ANY_USER, 200),
    ("GET", "/api/v1/me/notifications/wait"): Route(ANY_USER, 200, query="?timeout=0"),
    # each caller's own (another's is a 404: _mixed)
    ("POST", "/api/v1/me/notifications/{notification_id}/read"): Route(ANY_USER, 204),
    ("POST", "/api/v1/me/notifications/read"): Route(ANY_USER, 200, lambda w: {}),
    ("GET", f"{P}/notification-level"): Route("viewer", 200),
    ("PUT", f"{P}/notification-level"): Route("viewer", 200, lambda w: {"level": "all"}),
    ("GET", f"{T}/watchers"): Route("viewer", 200),
    ("PUT", f"{T}/watch"): Route("viewer", 200),
    ("DELETE", f"{T}/watch"): Route("viewer", 200),
    # the signed link in each notification email is the proof (tests/mail/test_unsubscribe.py)
    ("GET", "/api/v1/unsubscribe"): Route(PUBLIC, 200),
    ("POST", "/api/v1/unsubscribe"): Route(PUBLIC, 204),
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


async def _side(
    state: AppState, session: Any, owner: Any, members: dict[str, tuple[Any, Role]]
) -> Side:
    n = next(_serial)
    project = await project_service.create_project(
        session, owner, name=f"Matrix {n}", key=f"M{n}", description=""
    )
    owner_access = ProjectAccess.of(project, Role.owner, owner)
    for account, role in members.values():
        await project_service.add_member(session, owner_access, email=account.email, role=role)
    columns = [s for s, _ in await status_service.list_statuses(session, owner_access)]
    spare, _ = await status_service.create_status(
        session, owner_access, StatusCreateIn(name="Spare")
    )
    label = await label_service.create_label(session, owner_access, LabelCreateIn(name="bug"))
    task = await task_service.create_task(session, owner_access, TaskCreateIn(title="Seed"))
    webhook = Webhook(
        project_id=project.id, url=PUBLIC_URL, events=["*"], secret=signing.new_secret()
    )
    session.add(webhook)
    await session.flush()
    delivery = webhook_service.queue(session, webhook)
    await session.flush()
    side = Side(
        project_id=project.id,
        key=project.key,
        task_id=task.id,
        task_number=task.number,
        status_id=columns[0].id,
        spare_status_id=spare.id,
        label_id=label.id,
        webhook_id=webhook.id,
        delivery_id=delivery.id,
    )
    for name, (account, role) in [("owner", (owner, Role.owner)), *members.items()]:
        if role.at_least(Role.member):
            access = TaskAccess(task=task, project=ProjectAccess.of(project, role, account))
            comment = await comment_service.add_comment(session, access, f"by {name}")
            side.comments[name] = comment.id
            staged = await state.attachments.stage(io.BytesIO(b"by " + name.encode()), name)
            attachment = await attachment_service.add(session, state.attachments, access, staged)
            side.attachments[name] = attachment.id
    return side


async def _world(state: AppState) -> World:
    """Two projects written through the services, with one member of A per role."""
    async with state.database.session() as session, session.begin():
        accounts: dict[str, Any] = {}
        users: dict[str, User] = {}
        password_hash = await state.passwords.hash(PASSWORD)
        for name in (*ROLE_ORDER, "outsider", "target", "b_only"):
            n = next(_serial)
            account = await auth_service.add_user(
                session, email=f"m{n}@example.com", name=name, password_hash=password_hash
            )
            _, secret = await auth_service.issue_token(
                session, account, kind=TokenKind.session, name="login", expires_at=None
            )
            accounts[name] = account
            users[name] = User(id=account.id, email=account.email, token=secret)
        a = await _side(
            state,
            session,
            accounts["owner"],
            {
                "admin": (accounts["admin"], Role.admin),
                "member": (accounts["member"], Role.member),
                "viewer": (accounts["viewer"], Role.viewer),
                "target": (accounts["target"], Role.member),
            },
        )
        b = await _side(
            state,
            session,
            accounts["b_only"],
            {"owner_of_a": (accounts["owner"], Role.member)},
        )
        transfers, notifications = {}, {}
        for name, account in accounts.items():
            notice = Notification(
                user_id=account.id, project_id=a.project_id, task_id=a.task_id, kind="assigned"
            )
            session.add(notice)
            transfer = Transfer(
                kind=TransferKind.export_csv,
                user_id=account.id,
                project_id=a.project_id,
                state=TransferState.done,
            )
            session.add(transfer)
            await session.flush()
            queue.add_file(session, transfer.id, "output", "a.csv", "text/csv", b"number\n")
            transfers[name] = transfer.id
            notifications[name] = notice.id
    target, b_only = users.pop("target"), users.pop("b_only")
    return World(
        a=a,
        b=b,
        users=users,
        target=target,
        b_only=b_only,
        transfers=transfers,
        notifications=notifications,
    )


# The app keeps no copies of tokens, roles, boards or cards: once the rows are put back, they
# are all it knows.
NO_COPIES = CacheSettings(seconds=0, board_bytes=0, card_bytes=0)


@dataclass(frozen=True)
class Scene:
    world: World
    settings: Settings
    saved: SavedRows


async def _build(settings: Settings, saved: Path) -> Scene:
    application = create_app(settings)
    async with LifespanManager(application):
        state: AppState = application.state.laneway
        world = await _world(state)
        rows = await SavedRows.save(state.database.engine, settings.attachments_dir, saved)
    return Scene(world=world, settings=settings, saved=rows)


@pytest.fixture(scope="module", params=BACKENDS)
def scene(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Scene:
    directory = tmp_path_factory.mktemp("matrix")
    if request.param == "sqlite":
        path = directory / "laneway.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite+aiosqlite:///{path}"
    else:  # the run's database: each test puts the world back, whatever came before
        url = request.getfixturevalue("postgres_url")
        truncate_postgres(url)
    settings = make_settings(url, directory / "data", cache=NO_COPIES)
    return in_own_thread(_build(settings, directory / "saved"))


# One app per backend serves every test of the module (the tests run on the module's loop).
@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app(scene: Scene) -> AsyncIterator[FastAPI]:
    application = create_app(scene.settings)
    async with LifespanManager(application):
        yield application


@pytest.fixture(scope="module")
def state(app: FastAPI) -> AppState:
    result: AppState = app.state.laneway
    return result


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def api(app: FastAPI) -> AsyncIterator[Api]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://laneway.test") as http:
        yield Api(http)


@pytest_asyncio.fixture(loop_scope="module", autouse=True)
async def world_as_built(scene: Scene, state: AppState) -> None:
    await scene.saved.restore(state.database.engine)


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
    ids = world.ids(caller)
    if "{token_id}" in path and user is not None:
        ids["token_id"] = (await api.request("GET", "/me/tokens", user)).json()[0]["id"]
    url = path.removeprefix("/api/v1").format(**ids) + route.query
    if route.files is not None:
        return await api.request(method, url, user, files=route.files, headers=route.headers)
    body = route.body(world) if route.body else None
    return await api.request(method, url, user, json=body, headers=route.headers)


@pytest.mark.parametrize(
    ("method", "path"),
    sorted(key for key, route in ROUTES.items() if route.least != PUBLIC),
    ids=lambda v: str(v),
)
async def test_route_for_every_caller(
    api: Api, state: AppState, scene: Scene, method: str, path: str
) -> None:
    route = ROUTES[(method, path)]
    denied = [c for c in CALLERS if _expected_denial(route, c) is not None]
    allowed = [c for c in CALLERS if c not in denied]

    world = scene.world
    before = await _snapshot(state)
    for caller in denied:
        response = await _call(api, world, method, path, caller)
        assert_problem(response, _expected_denial(route, caller) or 0)
        assert await _snapshot(state) == before, f"{caller} changed rows through {method} {path}"

    for index, caller in enumerate(allowed):
        if method != "GET" and index:
            # a write may change what the next caller sees
            await scene.saved.restore(state.database.engine)
        response = await _call(api, world, method, path, caller)
        assert response.status_code == route.ok, (caller, response.text)


def _mixed(w: World) -> list[tuple[str, str, Any]]:
    """Requests by A's owner (also a member of B) that put B's ids into A's routes."""
    a, b = w.a, w.b
    return [
        ("PATCH", f"/projects/{a.project_id}/statuses/{b.spare_status_id}", {"name": "x"}),
        ("DELETE", f"/projects/{a.project_id}/statuses/{b.spare_status_id}", None),
        (
            "DELETE",
            f"/projects/{a.project_id}/statuses/{a.status_id}?move_to={b.status_id}",
            None,
        ),
        ("PATCH", f"/projects/{a.project_id}/labels/{b.label_id}", {"name": "x"}),
        ("DELETE", f"/projects/{a.project_id}/labels/{b.label_id}", None),
        ("PATCH", f"/projects/{a.project_id}/members/{w.b_only.id}", {"role": "viewer"}),
        ("DELETE", f"/projects/{a.project_id}/members/{w.b_only.id}", None),
        ("GET", f"/projects/{a.project_id}/tasks/by-number/{b.key}-{b.task_number}", None),
        ("POST", f"/projects/{a.project_id}/tasks", {"title": "x", "status_id": b.status_id}),
        ("POST", f"/projects/{a.project_id}/tasks", {"title": "x", "labels": [b.label_id]}),
        ("POST", f"/projects/{a.project_id}/tasks", {"title": "x", "parent_id": b.task_id}),
        ("POST", f"/projects/{a.project_id}/tasks", {"title": "x", "assignee_id": w.b_only.id}),
        ("PATCH", f"/tasks/{a.task_id}", {"status_id": b.status_id}),
        ("PATCH", f"/tasks/{a.task_id}", {"labels": [a.label_id, b.label_id]}),
        ("PATCH", f"/tasks/{a.task_id}", {"parent_id": b.task_id}),
        ("POST", f"/tasks/{a.task_id}/move", {"status_id": b.status_id}),
        ("POST", f"/tasks/{a.task_id}/move", {"status_id": a.status_id, "after_id": b.task_id}),
        (
            "POST",
            f"/projects/{a.project_id}/tasks/bulk",
            {"task_ids": [a.task_id, b.task_id], "action": "archive"},
        ),
        (
            "POST",
            f"/projects/{a.project_id}/tasks/bulk",
            {"task_ids": [a.task_id], "action": "move", "status_id": b.status_id},
        ),
        (
            "POST",
            f"/projects/{a.project_id}/tasks/bulk",
            {"task_ids": [a.task_id], "action": "label", "add_labels": [b.label_id]},
        ),
        ("POST", f"/webhooks/{a.webhook_id}/deliveries/{b.delivery_id}/redeliver", None),
        ("GET", f"/webhooks/{b.webhook_id}", None),
        ("GET", f"/transfers/{w.transfers['b_only']}", None),
        ("GET", f"/transfers/{w.transfers['b_only']}/download", None),
        ("POST", f"/me/notifications/{w.notifications['b_only']}/read", None),
    ]


async def test_ids_of_another_project_are_refused(api: Api, state: AppState, scene: Scene) -> None:
    world = scene.world
    owner = world.users["owner"]
    before = await _snapshot(state)
    for method, url, body in _mixed(world):
        response = await api.request(method, url, owner, json=body, headers=ANY_VERSION)
        assert 400 <= response.status_code < 500, (method, url, body, response.text)
        assert_problem(response, response.status_code)
        assert await _snapshot(state) == before, (method, url, body)
