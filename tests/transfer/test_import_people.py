"""An import speaks only for the person importing: anyone else an archive (or a Trello
export) names becomes a stand-in (their name kept as text, no account id), unless an instance
admin imports; and the result never tells which emails have an account here."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import orjson

from laneway.auth import service as auth_service
from laneway.state import AppState
from laneway.transfer import export_project
from tests.support import Api, User
from tests.transfer.seed import ok

GHOST = "ghost@nowhere.example"
BOARD = Path(__file__).parent / "fixtures" / "trello_board.json"


async def victims_archive(api: Api, state: AppState, victim: User) -> bytes:
    """A project the victim made: owner, reporter, assignee, comment author, actor; one more
    member who has no account anywhere."""
    pid = (await api.project(victim, "Victim's", key="VIC"))["id"]
    task = await api.task(
        victim, pid, title="Signed by the victim", assignee_id=victim.id, description="Details"
    )
    await ok(api, "POST", f"/tasks/{task['id']}/comments", victim, json={"body": "I approve"})
    out = io.BytesIO()
    await export_project(state.database, pid, out)
    archive = orjson.loads(out.getvalue())
    archive["members"].append({"email": GHOST, "name": "Ghost", "role": "admin"})
    return orjson.dumps(archive)


async def imported(api: Api, state: AppState, who: User, archive: bytes) -> dict[str, Any]:
    response = await api.request(
        "POST", "/imports?key=MINE", who, content=archive,
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    assert response.status_code == 202, response.text
    await state.transfers.drain()
    done: dict[str, Any] = await ok(api, "GET", f"/transfers/{response.json()['id']}", who)
    assert done["state"] == "done", done
    return done


async def test_an_archive_cannot_make_someone_a_member_or_speak_for_them(
    api: Api, state: AppState
) -> None:
    victim, mallory = await api.user(), await api.user()
    archive = await victims_archive(api, state, victim)

    done = await imported(api, state, mallory, archive)
    pid = done["project_id"]
    # the victim is no member, and not told of a project they were never asked into
    members = await ok(api, "GET", f"/projects/{pid}/members", mallory)
    assert [(m["user_id"], m["role"]) for m in members] == [(mallory.id, "owner")]
    assert (await api.request("GET", f"/projects/{pid}", victim)).status_code == 404
    assert pid not in {p["id"] for p in await ok(api, "GET", "/projects", victim)}
    # nothing is theirs: the task, the comment and the history name no account of theirs
    (task,) = (await ok(api, "GET", f"/projects/{pid}/tasks", mallory))["items"]
    assert (task["reporter_id"], task["assignee_id"]) == (mallory.id, None)
    stand_in = victim.email.split("@")[0] + f" ({victim.email})"
    assert task["description"] == (
        f"Details\n\n_Imported: reported by {stand_in}, assigned to {stand_in}._"
    )
    (comment,) = (await ok(api, "GET", f"/tasks/{task['id']}/comments", mallory))["items"]
    assert comment["author_id"] == mallory.id
    assert comment["body"] == f"{stand_in} wrote:\n\nI approve"
    events = (await ok(api, "GET", f"/projects/{pid}/activity?limit=500", mallory))["items"]
    assert events
    assert victim.id not in {e["actor_id"] for e in events}
    assert victim.id not in {e["subject_id"] for e in events if e["type"].startswith("member.")}
    # every other person is a stand-in, account or not: the list is no oracle of accounts
    assert done["result"]["unmatched_emails"] == sorted([victim.email, GHOST])
    assert done["result"]["members"] == 1


async def test_an_instance_admin_may_match_people_by_email(api: Api, state: AppState) -> None:
    victim, admin = await api.user(), await api.user()
    archive = await victims_archive(api, state, victim)
    async with state.database.transaction() as session:
        await auth_service.set_admin(session, email=admin.email, admin=True)

    done = await imported(api, state, admin, archive)
    pid = done["project_id"]
    members = await ok(api, "GET", f"/projects/{pid}/members", admin)
    assert sorted((m["user_id"], m["role"]) for m in members) == sorted(
        [(admin.id, "owner"), (victim.id, "owner")]
    )
    (task,) = (await ok(api, "GET", f"/projects/{pid}/tasks", admin))["items"]
    assert (task["reporter_id"], task["assignee_id"], task["description"]) == (
        victim.id,
        victim.id,
        "Details",
    )
    assert done["result"]["unmatched_emails"] == [GHOST]


async def test_a_trello_export_cannot_speak_for_an_account_either(
    api: Api, state: AppState
) -> None:
    """The fixture's comments carry ada@example.com, which has an account here."""
    ada, mallory = await api.user("ada"), await api.user()
    response = await api.request(
        "POST", "/imports?format=trello&key=TREL", mallory, content=BOARD.read_bytes(),
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    assert response.status_code == 202, response.text
    await state.transfers.drain()
    done = await ok(api, "GET", f"/transfers/{response.json()['id']}", mallory)
    assert done["state"] == "done", done
    pid = done["project_id"]
    assert [m["user_id"] for m in await ok(api, "GET", f"/projects/{pid}/members", mallory)] == [
        mallory.id
    ]
    comments = []
    for task in (await ok(api, "GET", f"/projects/{pid}/tasks?limit=100", mallory))["items"]:
        comments += (await ok(api, "GET", f"/tasks/{task['id']}/comments", mallory))["items"]
    assert {c["author_id"] for c in comments} == {mallory.id}
    by_ada = [c for c in comments if c["body"].startswith(f"{ada.email} wrote:\n\n")]
    assert by_ada
    assert done["result"]["unmatched_emails"] == [ada.email]
