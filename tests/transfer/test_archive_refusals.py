"""Archives that are not whole or not consistent are refused with one clear message, and
nothing is written; people without an account here are listed, not fatal."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import orjson
import pytest

from laneway.errors import Conflict
from laneway.state import AppState
from laneway.transfer import TransferError, export_project, import_project
from tests.support import Api, User
from tests.transfer.conftest import row_counts
from tests.transfer.seed import Seeded, ok

Edit = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Edit:
    def edit(doc: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = doc
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value

    return edit


# each edit of a good archive, and the message its refusal must carry
CASES: list[tuple[str, Edit, str]] = [
    ("format", _set("format", "trello"), "not a Laneway project archive"),
    ("version", _set("version", 2), "archive version 2 is not one this laneway reads"),
    (
        "unknown status",
        _set("tasks.3.status", "Nowhere"),
        "status 'Nowhere' is not among the statuses",
    ),
    ("unknown parent", _set("tasks.4.parent", 999), "parent 999 is not among the tasks"),
    ("unknown label", _set("tasks.5.labels", ["bug", "gone"]), "label 'gone' is not among"),
    ("comment's task", _set("comments.0.task", 999), "comments[0]: task 999 is not among"),
    (
        "huge title",
        _set("tasks.0.title", "x" * 501),
        "tasks[0].title: String should have at most 500 characters",
    ),
    (
        "huge description",
        _set("tasks.0.description", "x" * 100_001),
        "tasks[0].description: String should have at most 100000 characters",
    ),
    ("huge label", _set("labels.0.name", "x" * 61), "labels[0].name: String should have at most"),
    ("bad rank", _set("tasks.1.rank", "!!"), "tasks[1].rank: Value error, not a rank"),
    ("two task 1s", _set("tasks.2.number", 1), "task number 1 appears 2 times"),
    ("a cycle", _set("tasks.1.parent", 8), "is its own ancestor"),  # 2 -> 8 -> 4 -> 2
    ("no statuses", _set("statuses", []), "statuses: List should have at least 1 item"),
    ("a number as priority", _set("tasks.0.priority", 3), "tasks[0].priority: Input should be"),
    ("unknown field", _set("tasks.0.colour", "red"), "tasks[0].colour: Extra inputs"),
    ("seq order", _set("events.5.seq", 1), "events[5]: seq 1 does not follow 5"),
    ("event type", _set("events.5.type", "task.exploded"), "events[5].type: Input should be"),
    ("NUL in history", _set("events.0.changes", {"name": ["a\x00", "b"]}), "holds a NUL"),
]
# not archives at all
RAW = [
    (b'{"format": "laneway.project", "version": 1, "tasks": [', "the archive is not JSON"),
    (b"PK\x03\x04 a zip file", "the archive is not JSON"),
    (b"[1, 2]", "not a Laneway project archive"),
    (b"", "the archive is not JSON"),
]


async def test_bad_archives_are_refused_and_nothing_is_written(
    archive: bytes, owner: User, state: AppState
) -> None:
    """Each case on its own (one test, so the app starts once per backend)."""
    before = await row_counts(state.database)
    inputs = [(name, _edited(archive, edit), message) for name, edit, message in CASES]
    inputs += [(repr(raw[:12]), raw, message) for raw, message in RAW]
    wrong = []
    for name, raw, message in inputs:
        try:
            await import_project(state.database, raw, owner=owner.email)
        except TransferError as refused:
            detail = str(refused.detail)
            if message not in detail or "\n" in detail:
                wrong.append(f"{name}: {detail}")
        else:
            wrong.append(f"{name}: imported")
    assert wrong == []
    assert await row_counts(state.database) == before


def _edited(archive: bytes, edit: Edit) -> bytes:
    doc = orjson.loads(archive)
    edit(doc)
    return orjson.dumps(doc)


async def test_a_failure_late_in_the_import_rolls_everything_back(
    archive: bytes, owner: User, state: AppState
) -> None:
    """Refused while writing the history, after the tasks went in: all of it is undone."""
    doc = orjson.loads(archive)
    last = doc["events"][-1]
    last["type"], last["snapshot"] = "task.updated", {"status_id": {"not": "a reference"}}
    before = await row_counts(state.database)
    with pytest.raises(TransferError, match="the history names a status by dict"):
        await import_project(state.database, orjson.dumps(doc), owner=owner.email)
    assert await row_counts(state.database) == before


async def test_owner_and_key_are_checked(
    api: Api, archive: bytes, owner: User, state: AppState
) -> None:
    await api.project(owner, "Taken", key="TAKEN")
    with pytest.raises(TransferError, match=r"no account is 'nobody@example\.com'"):
        await import_project(state.database, archive, owner="nobody@example.com")
    with pytest.raises(Conflict, match="The project key TAKEN is already in use"):
        await import_project(state.database, archive, owner=owner.id, key="taken")
    with pytest.raises(TransferError, match="'1X' is not a project key"):
        await import_project(state.database, archive, owner=owner.id, key="1X")
    with pytest.raises(TransferError, match="the project name: String should have at least 1"):
        await import_project(state.database, archive, owner=owner.id, name=" ")


async def test_people_without_an_account_are_listed_not_fatal(
    api: Api, seeded: Seeded, state: AppState
) -> None:
    """Alice (an admin who made tasks, wrote comments and has work assigned) has no account
    on the instance the archive goes to."""
    archive = io.BytesIO()
    await export_project(state.database, seeded.project["id"], archive)
    alice = seeded.people[0]
    ghost = b"ghost@elsewhere.example"
    renamed = archive.getvalue().replace(alice.email.encode(), ghost)
    result = await import_project(
        state.database, renamed, owner=seeded.owner.email, key="GHOST", match_people=True
    )
    assert result.unmatched_emails == [ghost.decode()]
    original = orjson.loads(archive.getvalue())
    reported = sum(t["reporter"] == alice.email for t in original["tasks"])
    written = sum(c["author"] == alice.email for c in original["comments"])
    assert reported
    assert written
    assert result.reassigned == reported + written

    pid, owner = result.project_id, seeded.owner
    members = await ok(api, "GET", f"/projects/{pid}/members", owner)
    assert alice.email not in {m["email"] for m in members}
    tasks = (await ok(api, "GET", f"/projects/{pid}/tasks?limit=200&archived=true", owner))["items"]
    tasks += (await ok(api, "GET", f"/projects/{pid}/tasks?limit=200", owner))["items"]
    assert tasks
    assert alice.id not in {t["assignee_id"] for t in tasks}
    assert alice.id not in {t["reporter_id"] for t in tasks}
    # her events keep their place in the history, by nobody on this instance
    events = (await ok(api, "GET", f"/projects/{pid}/activity?limit=500", owner))["items"]
    assert len(events) == len(original["events"])
    added = [e for e in events if e["type"] == "member.added" and e["subject_id"] < 0]
    assert len(added) == 1
    assert added[0]["snapshot"]["user_id"] == added[0]["subject_id"]
    assert alice.id not in {e["actor_id"] for e in events}
