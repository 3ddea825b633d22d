"""A Trello board export (tests/transfer/fixtures/trello_board.json, written after Trello's own
export) becomes a project: lists as statuses, cards as tasks, labels, checklists, comments."""

from __future__ import annotations

from pathlib import Path

import pytest

from laneway.state import AppState
from laneway.transfer import TransferError
from laneway.transfer.trello import import_trello
from tests.support import Api
from tests.transfer.conftest import row_counts
from tests.transfer.seed import ok

BOARD = Path(__file__).parent / "fixtures" / "trello_board.json"
TYPEFACE = """Something **readable** at small sizes.

### Candidates

- [x] Inter
- [x] Source Sans
- [ ] IBM Plex

### Licences

- [ ] Web licence bought"""


async def test_a_trello_board_becomes_a_project(api: Api, state: AppState) -> None:
    owner = await api.user()
    ada = await api.user("ada")  # ada@example.com: the email Trello gave for her comments
    result = await import_trello(state.database, BOARD, owner=owner.email, match_people=True)
    project = result.project
    assert (project.name, project.key) == ("Website relaunch", "WR")
    assert (result.skipped_lists, result.skipped_cards) == (1, 1)
    assert result.unmatched_members == ["@grace_h"]
    assert project.unmatched_emails == []
    pid = project.project_id

    board = await ok(api, "GET", f"/projects/{pid}/board", owner)
    statuses = [(c["name"], c["category"]) for c in board["columns"]]
    assert statuses == [
        ("Backlog", "unstarted"),
        ("Doing", "started"),
        ("Waiting for review", "review"),
        ("Done ✓", "done"),
    ]
    columns = [[t["number"] for t in c["tasks"]] for c in board["columns"]]
    assert columns == [["WR-3", "WR-2"], ["WR-9", "WR-1"], ["WR-5"], ["WR-6"]]
    assert [c["count"] for c in board["columns"]] == [2, 2, 1, 1]
    labels = {label["id"]: (label["name"], label["color"]) for label in board["labels"]}
    assert sorted(labels.values()) == [
        ("Bug", "#f87168"),
        ("Content", "#579dff"),
        ("Design", "#fea362"),
        ("Someday", "#4b5563"),
        ("green", "#4bce97"),
    ]

    tasks = {}
    for archived in ("false", "true"):
        page = await ok(api, "GET", f"/projects/{pid}/tasks?archived={archived}", owner)
        tasks |= {t["number"]: t for t in page["items"]}
    assert sorted(tasks) == ["WR-1", "WR-2", "WR-3", "WR-4", "WR-5", "WR-6", "WR-7", "WR-9"]
    assert sorted(n for n, t in tasks.items() if t["archived_at"]) == ["WR-4", "WR-7"]
    typeface = tasks["WR-1"]
    assert typeface["description"] == TYPEFACE
    assert (typeface["due_date"], typeface["created_at"]) == ("2026-12-04", "2026-09-14T10:30:00Z")
    assert [labels[i][0] for i in typeface["labels"]] == ["Design"]
    assert tasks["WR-3"]["due_date"] == "2026-12-20"  # 23:30 UTC is still the 20th
    assert sorted(labels[i][0] for i in tasks["WR-2"]["labels"]) == ["Bug", "green"]
    assert {t["reporter_id"] for t in tasks.values()} == {owner.id}

    comments = (await ok(api, "GET", f"/tasks/{typeface['id']}/comments", owner))["items"]
    assert [(c["author_id"], c["body"], c["created_at"]) for c in comments] == [
        (ada.id, "Shortlist in the checklist.", "2026-09-14T10:35:00Z"),
        (
            owner.id,
            "Grace Hopper wrote on Trello:\n\nInter reads well on phones. :+1:",
            "2026-10-20T16:47:00Z",
        ),
    ]
    form = (await ok(api, "GET", f"/tasks/{tasks['WR-2']['id']}/comments", owner))["items"]
    assert [c["author_id"] for c in form] == [ada.id]

    # a fresh history: the project, its owner, labels, tasks and comments, by the importer
    events = (await ok(api, "GET", f"/projects/{pid}/activity?limit=100", owner))["items"]
    kinds = [e["type"] for e in events]
    assert (
        kinds
        == ["project.created", "member.added"]
        + ["label.created"] * 5
        + ["task.created"] * 8
        + ["comment.created"] * 3
    )
    assert [e["seq"] for e in events] == list(range(1, 19))
    new = await api.task(owner, pid, title="After Trello")
    assert new["number"] == "WR-10"


async def test_what_is_not_a_trello_board(api: Api, state: AppState) -> None:
    owner = await api.user()
    before = await row_counts(state.database)
    for raw, message in (
        (b"{not json", "the Trello export is not JSON"),
        (b'{"format": "laneway.project"}', "not a Trello board export"),
        (
            b'{"name": "B", "lists": [{"id": "l"}], "cards": []}',
            r"lists\[0\]\.name: Field required",
        ),
        (b'{"name": "B", "lists": [], "cards": []}', "has no open list"),
    ):
        with pytest.raises(TransferError, match=message):
            await import_trello(state.database, raw, owner=owner.id)
    assert await row_counts(state.database) == before
