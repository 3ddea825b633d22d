"""Names and titles from elsewhere (an archive, a CSV cell, a Trello board) may hold line
breaks the API would refuse: an import makes them one line instead of refusing the file."""

from __future__ import annotations

import orjson

from laneway.state import AppState
from laneway.transfer import import_csv, import_project
from tests.support import Api
from tests.transfer.seed import ok

BROKEN = "Fix\r\nStop these emails: https://evil.example"
MADE_ONE_LINE = "Fix Stop these emails: https://evil.example"


def _archive() -> bytes:
    return orjson.dumps(
        {
            "format": "laneway.project",
            "version": 1,
            "project": {"key": "ONE", "name": "Web\nSecurity notice", "last_task_number": 1},
            "statuses": [
                {"ref": 1, "name": "To\ndo", "category": "unstarted", "position": 0},
                {"ref": 2, "name": "Done\u2028", "category": "done", "position": 1},
            ],
            "labels": [{"ref": 1, "name": "b\tug", "color": "#f87168"}],
            "tasks": [
                {
                    "number": 1,
                    "title": BROKEN,
                    "status": "To\ndo",
                    "labels": ["b\tug"],
                    "rank": "a0",
                }
            ],
        }
    )


async def test_an_archive_imports_its_names_and_titles_as_one_line(
    api: Api, state: AppState
) -> None:
    owner = await api.user()
    result = await import_project(state.database, _archive(), owner=owner.id)
    pid = result.project_id
    board = await ok(api, "GET", f"/projects/{pid}/board", owner)
    assert (await ok(api, "GET", f"/projects/{pid}", owner))["name"] == "Web Security notice"
    assert [c["name"] for c in board["columns"]] == ["To do", "Done"]
    assert [t["title"] for t in board["columns"][0]["tasks"]] == [MADE_ONE_LINE]
    assert [label["name"] for label in board["labels"]] == ["b ug"]
    assert board["columns"][0]["tasks"][0]["labels"] == [board["labels"][0]["id"]]


async def test_a_csv_cell_with_line_breaks_imports_as_one_line(api: Api, state: AppState) -> None:
    owner = await api.user()
    pid = (await api.project(owner, "Sheets", key="CSV"))["id"]
    sheet = 'Title,Labels\r\n"Fix\r\nStop these emails: https://evil.example","ui\nfix, docs"\r\n'
    result = await import_csv(
        state.database,
        sheet.encode(),
        project_id=pid,
        user=owner.id,
        mapping={"title": "Title", "labels": "Labels"},
    )
    assert (result.numbers, result.errors) == ([1], [])
    task = await ok(api, "GET", f"/projects/{pid}/tasks/by-number/CSV-1", owner)
    assert task["title"] == MADE_ONE_LINE
    labels = await ok(api, "GET", f"/projects/{pid}/labels", owner)
    assert sorted(label["name"] for label in labels) == ["docs", "ui fix"]
