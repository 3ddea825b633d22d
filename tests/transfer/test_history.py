"""The history's ids out to archive references and back in to new ids (no database)."""

from __future__ import annotations

from typing import Any

from laneway.transfer import history
from laneway.transfer.export import Outbound
from laneway.transfer.replay import Ids, Inbound

EMAILS = {1: "ada@example.com", 2: "bob@example.com"}
NUMBERS = {10: 1, 11: 2}  # task id -> number where it was exported


def out(event_type: str, changes: dict[str, Any], snapshot: dict[str, Any] | None) -> Any:
    return history.translate(event_type, changes, snapshot, Outbound(EMAILS, dict(NUMBERS)))


def back(event_type: str, changes: dict[str, Any], snapshot: dict[str, Any] | None) -> Any:
    ids = Ids(
        project=500,
        users={"ada@example.com": 71},  # bob has no account here
        statuses={3: 903, 4: 904},
        labels={7: 907},
        tasks={1: 801, 2: 802},
        comments={},
    )
    return history.translate(event_type, changes, snapshot, Inbound(ids, "NEW", set()))


def test_a_task_event_out_and_back() -> None:
    snapshot = {
        "id": 10, "project_id": 9, "number": "OLD-1", "title": "T", "status_id": 3,
        "assignee_id": 2, "reporter_id": 1, "labels": [7, 8], "parent_id": 11, "rank": "a0",
    }  # fmt: skip
    changes = {"status_id": [4, 3], "labels": [[7], [7, 8]], "title": ["S", "T"]}
    archived = out("task.moved", changes, snapshot)
    assert archived == (
        {"status_id": [4, 3], "labels": [[7], [7, 8]], "title": ["S", "T"]},
        {
            "id": 1, "project_id": 9, "number": 1, "title": "T", "status_id": 3,
            "assignee_id": "bob@example.com", "reporter_id": "ada@example.com", "labels": [7, 8],
            "parent_id": 2, "rank": "a0",
        },
    )  # fmt: skip
    changes_in, snapshot_in = back("task.moved", *archived)
    assert changes_in == {
        "status_id": [904, 903],
        "labels": [[907], [907, -1]],
        "title": ["S", "T"],
    }
    # label 8 was deleted before the export and bob has no account: stand-ins, not nothing
    assert snapshot_in == {
        "id": 801, "project_id": 500, "number": "NEW-1", "title": "T", "status_id": 903,
        "assignee_id": -1, "reporter_id": 71, "labels": [907, -1], "parent_id": 802, "rank": "a0",
    }  # fmt: skip


def test_orders_ranks_and_deleted_things_keep_their_identity() -> None:
    order = out("status.updated", {"order": [None, [4, 3, 6]]}, None)
    assert back("status.updated", *order) == ({"order": [None, [904, 903, -1]]}, None)
    ranks = out("status.rebalanced", {"ranks": {"10": "a0", "11": "a1", "99": "a2"}}, None)
    assert ranks == ({"ranks": {"1": "a0", "2": "a1"}}, None)  # 99: known nowhere, dropped
    assert back("status.rebalanced", *ranks) == ({"ranks": {"801": "a0", "802": "a1"}}, None)

    inbound = Inbound(Ids(project=1, users={}), "K", unmatched := set())
    first = [inbound.resolve("status", ref) for ref in (40, 41, 40)]
    assert first == [-1, -2, -1]  # distinct per object, the same object the same stand-in
    assert inbound.resolve("task", 40) == -1  # per kind
    assert inbound.resolve("user", "gone@example.com") == -1
    assert unmatched == {"gone@example.com"}


def test_a_deleted_task_is_known_by_its_own_events() -> None:
    outbound = Outbound(EMAILS, dict(NUMBERS))

    class Row:
        type = "task.deleted"
        subject_id = 12
        snapshot: dict[str, Any] = {"id": 12, "number": "OLD-7"}  # noqa: RUF012

    outbound.learn(Row())  # type: ignore[arg-type]
    assert outbound.resolve("task", 12) == 7


def test_an_attachment_event_out_and_back() -> None:
    """Attachments stay behind on export: their events keep the rest of their references and
    name the attachment itself by a stand-in."""
    snapshot = {
        "id": 40, "task_id": 10, "project_id": 9, "name": "a.png", "media_type": "image/png",
        "size": 3, "sha256": "ab" * 32, "uploaded_by": 1, "created_at": "2026-12-02T10:00:00Z",
    }  # fmt: skip
    archived = out("attachment.added", {}, snapshot)
    assert archived == ({}, {**snapshot, "task_id": 1, "uploaded_by": "ada@example.com"})
    changes_in, snapshot_in = back("attachment.deleted", *archived)
    assert changes_in == {}
    assert snapshot_in == {
        **snapshot,
        "id": -1,
        "task_id": 801,
        "project_id": 500,
        "uploaded_by": 71,
    }
