"""A webhook delivers only while its owner administers the project (both backends): removed,
demoted or deactivated, the owner's webhooks stop with the reason shown, nothing more reaches
their URL, and another admin takes one over by turning it back on."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete, update

from laneway.auth import ownership
from laneway.auth import service as auth_service
from laneway.models import Membership, Role
from laneway.state import AppState
from laneway.webhooks import outbox
from laneway.webhooks.runner import WebhookRunner
from tests.support import Api, User
from tests.webhooks.conftest import Receiver, one_pass, settle

Hooked = tuple[Api, AppState, WebhookRunner]


async def _admin_with_hook(api: Api, receiver: Receiver) -> tuple[User, User, int, dict[str, Any]]:
    """A project's owner, an admin who registered a webhook there, and a first event it got."""
    owner, admin = await api.user(), await api.user()
    pid = (await api.project(owner))["id"]
    await api.add_member(pid, owner, admin, "admin")
    made = await api.request(
        "POST", f"/projects/{pid}/webhooks", admin, json={"url": receiver.url, "events": ["*"]}
    )
    assert made.status_code == 201, made.text
    assert made.json()["owner_id"] == admin.id
    return owner, admin, pid, made.json()


async def _shown(api: Api, by: User, hook_id: int) -> dict[str, Any]:
    response = await api.request("GET", f"/webhooks/{hook_id}", by)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _delivered_once(
    api: Api, runner: WebhookRunner, receiver: Receiver, by: User, pid: int
) -> None:
    await api.task(by, pid, title="before")
    await settle(runner, lambda: len(receiver.got) == 1)


@pytest.mark.parametrize(
    ("change", "reason"),
    [("removed", ownership.REMOVED), ("demoted", ownership.DEMOTED)],
)
async def test_an_admin_who_loses_the_role_stops_their_webhooks(
    hooked: Hooked, receiver: Receiver, change: str, reason: str
) -> None:
    api, _state, runner = hooked
    owner, admin, pid, hook = await _admin_with_hook(api, receiver)
    await _delivered_once(api, runner, receiver, owner, pid)
    path = f"/projects/{pid}/members/{admin.id}"
    if change == "removed":
        response = await api.request("DELETE", path, owner)
    else:
        response = await api.request("PATCH", path, owner, json={"role": "member"})
    assert response.status_code in (200, 204), response.text

    shown = await _shown(api, owner, hook["id"])
    assert (shown["active"], shown["disabled_reason"]) == (False, reason)
    assert shown["owner_id"] == admin.id
    await api.task(owner, pid, title="after")
    for _ in range(3):
        await one_pass(runner)
    assert len(receiver.got) == 1  # nothing after the loss of rights

    taken = await api.request("PATCH", f"/webhooks/{hook['id']}", owner, json={"active": True})
    assert taken.status_code == 200, taken.text
    assert (taken.json()["active"], taken.json()["owner_id"]) == (True, owner.id)
    assert taken.json()["disabled_reason"] is None
    await settle(runner, lambda: len(receiver.got) == 2)  # the new owner gets what it missed


async def test_a_deactivated_account_stops_its_webhooks(hooked: Hooked, receiver: Receiver) -> None:
    api, state, runner = hooked
    owner, admin, pid, hook = await _admin_with_hook(api, receiver)
    await _delivered_once(api, runner, receiver, owner, pid)
    async with state.database.transaction() as session:
        await auth_service.set_active(session, email=admin.email, active=False)
    shown = await _shown(api, owner, hook["id"])
    assert (shown["active"], shown["disabled_reason"]) == (False, ownership.DEACTIVATED)
    await api.task(owner, pid, title="after")
    for _ in range(3):
        await one_pass(runner)
    assert len(receiver.got) == 1
    async with state.database.transaction() as session:  # coming back restarts nothing
        await auth_service.set_active(session, email=admin.email, active=True)
    await one_pass(runner)
    assert len(receiver.got) == 1
    assert not (await _shown(api, owner, hook["id"]))["active"]


@pytest.mark.parametrize("change", ["removed", "demoted"])
async def test_nothing_is_sent_once_rights_are_lost_by_any_path(
    hooked: Hooked, receiver: Receiver, change: str
) -> None:
    """Another process, or a path that does not stop webhooks, changes the membership between
    an event being queued and sent: the claim itself refuses it, and the runner stops the
    webhook with a reason when it next has something for it."""
    api, state, runner = hooked
    owner, admin, pid, hook = await _admin_with_hook(api, receiver)
    await _delivered_once(api, runner, receiver, owner, pid)
    await api.task(owner, pid, title="queued before the change")
    assert await outbox.dispatch(state.database) == 1
    mine = (Membership.project_id == pid) & (Membership.user_id == admin.id)
    async with state.database.transaction() as session:
        if change == "removed":
            await session.execute(delete(Membership).where(mine))
        else:
            await session.execute(update(Membership).where(mine).values(role=Role.viewer))
    for _ in range(3):
        await one_pass(runner)
    assert len(receiver.got) == 1
    assert (await _shown(api, owner, hook["id"]))["active"]  # nobody said so yet
    await api.task(owner, pid, title="after")
    await one_pass(runner)
    shown = await _shown(api, owner, hook["id"])
    assert (shown["active"], shown["disabled_reason"]) == (False, ownership.LOST_ACCESS)
    assert len(receiver.got) == 1


async def test_another_admin_choosing_the_url_becomes_the_owner(
    hooked: Hooked, receiver: Receiver
) -> None:
    api, _state, runner = hooked
    owner, admin, pid, hook = await _admin_with_hook(api, receiver)
    second = await api.user()
    await api.add_member(pid, owner, second, "admin")
    moved = await api.request(
        "PATCH", f"/webhooks/{hook['id']}", second, json={"url": receiver.url + "?by=second"}
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["owner_id"] == second.id
    # the creator's leaving no longer matters; the new owner's does
    assert (await api.request("DELETE", f"/projects/{pid}/members/{admin.id}", owner)).is_success
    assert (await _shown(api, owner, hook["id"]))["active"]
    await api.task(owner, pid)
    await settle(runner, lambda: len(receiver.got) == 1)
    assert (await api.request("DELETE", f"/projects/{pid}/members/{second.id}", owner)).is_success
    assert not (await _shown(api, owner, hook["id"]))["active"]
