"""A commit wakes the notifier only for events someone may be told of (`rules.may_notify`);
those still notify at once, and the events it let pass (the watchers they add) are taken up,
in order, by the next pass whatever woke it.

The jobs run in the serving process here, as in production, but poll once a minute: a
notification within a test is one a commit's wake made."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any, cast

import pytest

from laneway.config import JobSettings, Settings
from laneway.models import NotifyLevel
from laneway.models.event_payloads import EventChanges, EventSnapshot, payload
from laneway.models.event_types import EVENT_TYPES, EventType
from laneway.notifications.rules import EventFacts, Member, decide, may_notify
from laneway.state import AppState
from tests.conftest import make_settings
from tests.support import Api, User


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(
        database_url, tmp_path / "data", jobs=JobSettings(in_process=True, poll_seconds=60)
    )


async def team(api: Api) -> tuple[User, int, User]:
    owner, alice = await api.user(), await api.user()
    pid = (await api.project(owner))["id"]
    await api.add_member(pid, owner, alice, "member")
    return owner, pid, alice


async def kinds(api: Api, user: User) -> list[tuple[str, int]]:
    response = await api.request("GET", "/me/notifications", user)
    assert response.status_code == 200, response.text
    return [(n["kind"], n["task"]["number"]) for n in response.json()["items"]]


async def test_an_assignment_notifies_at_once(api: Api, state: AppState) -> None:
    owner, pid, alice = await team(api)
    await state.notifier.settled()
    task = await api.task(owner, pid, assignee_id=alice.id)
    await state.notifier.settled()
    assert await kinds(api, alice) == [("assigned", task["number"])]


async def test_a_comment_tells_the_watchers_an_unwoken_create_brought(
    api: Api, state: AppState
) -> None:
    owner, pid, alice = await team(api)
    task = await api.task(alice, pid)  # nobody to tell: no pass, alice not watching yet
    await state.notifier.settled()
    assert await kinds(api, alice) == []
    said = await api.request("POST", f"/tasks/{task['id']}/comments", owner, json={"body": "Done"})
    assert said.status_code == 201, said.text
    await state.notifier.settled()
    assert await kinds(api, alice) == [("commented", task["number"])]


# --- may_notify answers yes wherever decide could tell anyone --------------------------------

MEMBERS = {
    user_id: Member(user_id, name, NotifyLevel.all)
    for user_id, name in ((1, "ada"), (2, "bob"), (3, "cy"))
}
TEXTS = ("", "plain words", "for @bob", "mail bob@example.com", "@cy and @bob", "@nobody")


def _task(assignee: int | None, description: str) -> dict[str, Any]:
    return {"reporter_id": 3, "assignee_id": assignee, "description": description}


def _events() -> list[tuple[EventType, dict[str, Any], dict[str, Any] | None]]:
    """Every kind of event the rules read, in the shapes that matter to them."""
    events: list[tuple[EventType, dict[str, Any], dict[str, Any] | None]] = []
    events += [(t, {}, None) for t in EVENT_TYPES]
    events += [
        ("task.created", {}, _task(assignee, text))
        for assignee, text in itertools.product((None, 2), TEXTS)
    ]
    changes: list[dict[str, Any]] = [
        {"title": ("a", "b")},
        {"rank": ("a", "b")},
        {"status_id": (1, 2)},
        {"assignee_id": (2, None)},
        {"assignee_id": (None, 2)},
        *({"description": (old, new)} for old, new in itertools.product(TEXTS, TEXTS)),
    ]
    events += [(t, c, None) for t in ("task.updated", "task.moved") for c in changes]
    events += [("comment.created", {}, {"body": text}) for text in TEXTS]
    events += [
        ("comment.updated", {"body": (old, new)}, None)
        for old, new in itertools.product(TEXTS, TEXTS)
    ]
    return events


def test_may_notify_is_never_no_where_someone_is_told() -> None:
    told = 0
    for event_type, changes, snapshot in _events():
        what = payload(event_type, cast(EventChanges, changes), cast(EventSnapshot, snapshot))
        # the most anyone could be told: everyone a member at level `all` and watching,
        # the actor nobody's
        outcome = decide(EventFacts(1, 99, 7, what), MEMBERS, set(MEMBERS), {2: "Done"})
        if outcome.notify:
            told += 1
            assert may_notify(what), (event_type, changes, snapshot)
    assert told > 30  # the walk reached the rules


@pytest.mark.parametrize(
    ("event_type", "changes", "snapshot"),
    [
        ("task.created", {}, _task(None, "plain words, mail bob@example.com")),
        ("task.updated", {"title": ("a", "b")}, None),
        ("task.updated", {"assignee_id": (2, None)}, None),
        ("task.updated", {"description": ("for @bob", "for @bob, again")}, None),
        ("task.moved", {"rank": ("a", "b")}, None),
        ("comment.updated", {"body": ("@bob", "@bob!")}, None),
        ("comment.deleted", {}, None),
        ("project.created", {}, None),
        ("label.created", {}, None),
    ],
)
def test_may_notify_is_no_for_what_tells_nobody(
    event_type: EventType, changes: dict[str, Any], snapshot: dict[str, Any] | None
) -> None:
    what = payload(event_type, cast(EventChanges, changes), cast(EventSnapshot, snapshot))
    assert not may_notify(what)
