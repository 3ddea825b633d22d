"""The list view in a real browser: sorting by any column, editing in place, live changes put
where the sort says, keyboard navigation, bulk changes, and the demo's 2,000 tasks virtualized."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.web.conftest import Server
from tests.web.test_board import shared_board

pytestmark = pytest.mark.system


def rows(page: Page) -> Locator:
    return page.locator(".list-body [role=row]")


def titles(page: Page) -> list[str]:
    return rows(page).locator(".row-title").all_inner_texts()


def open_list(open_context: Any, server: Server, token: str, path: str) -> Page:
    page: Page = open_context(token)
    page.goto(f"{server.base}{path}")
    expect(page.locator(".live-status")).to_have_attribute("data-status", "live")
    return page


def test_the_list_sorts_edits_in_place_and_places_live_changes(
    server: Server, open_context: Any
) -> None:
    http = server.http
    ada, bob, project = shared_board(http)
    pid = project["id"]
    made = {}
    for title in ("Pear", "apple", "Mango", "banana", "Cherry"):
        made[title] = http.call(
            "POST", f"/projects/{pid}/tasks", ada["token"], json={"title": title}
        )  # fmt: skip
    page = open_list(open_context, server, ada["token"], f"/p/{pid}/list")
    # newest first by default
    expect(rows(page).first.locator(".row-title")).to_have_text("Cherry")
    assert titles(page) == ["Cherry", "banana", "Mango", "apple", "Pear"]

    page.get_by_role("button", name="Title").click()
    expect(page).to_have_url(re.compile(rf"/p/{pid}/list\?sort=title$"))
    expect(page.locator(".list")).to_have_attribute("data-sort", "title")
    assert titles(page) == ["apple", "banana", "Cherry", "Mango", "Pear"]
    header = page.get_by_role("columnheader", name="Title")
    expect(header).to_have_attribute("aria-sort", "ascending")
    page.get_by_role("button", name="Title").click()
    expect(page.locator(".list")).to_have_attribute("data-sort", "-title")
    assert titles(page) == ["Pear", "Mango", "Cherry", "banana", "apple"]

    # in place: priority, assignee and status, each saved with If-Match
    mango = made["Mango"]
    page.get_by_label(f"Priority of {mango['number']}").select_option("urgent")
    page.get_by_label(f"Assignee of {mango['number']}").select_option(label="Bob Babbage")
    page.get_by_label(f"Status of {mango['number']}").select_option(label="In Review")
    for _ in range(50):
        saved = http.call("GET", f"/tasks/{mango['id']}", ada["token"])
        if saved["version"] == 4:
            break
        page.wait_for_timeout(50)
    assert saved["priority"] == "urgent"
    assert saved["assignee_id"] == bob["id"]
    assert saved["status_id"] == project["statuses"]["In Review"]

    # sorted by priority, most urgent first; then by status, in the workflow's order
    page.get_by_role("button", name="Priority").click()
    expect(page.locator(".list")).to_have_attribute("data-sort", "-priority")
    expect(rows(page).first.locator(".row-title")).to_have_text("Mango")
    page.get_by_role("button", name="Status").click()
    expect(page.locator(".list")).to_have_attribute("data-sort", "status")
    expect(rows(page).last.locator(".row-title")).to_have_text("Mango")

    # someone else's changes arrive live and land where the sort puts them
    page.get_by_role("button", name="Title").click()
    expect(page.locator(".list")).to_have_attribute("data-sort", "title")
    pear = made["Pear"]
    http.call(
        "PATCH", f"/tasks/{pear['id']}", bob["token"],
        json={"title": "Apricot"}, headers={"If-Match": '"v1"'},
    )  # fmt: skip
    expect(rows(page).nth(1).locator(".row-title")).to_have_text("Apricot")
    http.call("POST", f"/projects/{pid}/tasks", bob["token"], json={"title": "Blueberry"})
    expect(rows(page)).to_have_count(6)
    assert titles(page) == ["apple", "Apricot", "banana", "Blueberry", "Cherry", "Mango"]
    archived = made["banana"]
    http.call(
        "PATCH", f"/tasks/{archived['id']}", bob["token"],
        json={"archived": True}, headers={"If-Match": '"v1"'},
    )  # fmt: skip
    expect(rows(page)).to_have_count(5)

    # the board's filters, in the list's URL, with the sort kept
    page.get_by_label("Assignee", exact=True).select_option(label="Bob Babbage")
    expect(page).to_have_url(re.compile(rf"/p/{pid}/list\?assignee={bob['id']}&sort=title$"))
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first.locator(".row-title")).to_have_text("Mango")
    page.get_by_role("link", name="Board").click()
    expect(page).to_have_url(re.compile(rf"/p/{pid}\?assignee={bob['id']}$"))
    expect(page.locator(".task-card")).to_have_count(1)


def test_keyboard_selection_bulk_changes_and_the_drawer(server: Server, open_context: Any) -> None:
    http = server.http
    ada, bob, project = shared_board(http)
    pid = project["id"]
    made = [
        http.call("POST", f"/projects/{pid}/tasks", ada["token"], json={"title": f"Step {i}"})
        for i in range(1, 7)
    ]
    page = open_list(open_context, server, ada["token"], f"/p/{pid}/list?sort=number")
    expect(rows(page)).to_have_count(6)

    rows(page).first.locator(".cell-number").click()
    focused = "() => document.activeElement?.dataset.rowIndex ?? null"
    assert page.evaluate(focused) == "0"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.evaluate(focused) == "2"
    page.keyboard.press(" ")  # select Step 3
    page.keyboard.press("Shift+ArrowDown")  # and Step 4
    page.keyboard.press("End")
    assert page.evaluate(focused) == "5"
    page.keyboard.press("x")  # and Step 6
    expect(page.locator(".list-row.selected")).to_have_count(3)
    expect(page.get_by_role("toolbar", name="Change the selected tasks")).to_contain_text(
        "3 selected"
    )

    page.get_by_label("Assign the selected tasks to").select_option(label="Bob Babbage")
    expect(page.get_by_role("status").filter(has_text="3 of 3 tasks changed")).to_be_visible()
    chosen = [made[i]["id"] for i in (2, 3, 5)]
    for task in made:
        assignee = http.call("GET", f"/tasks/{task['id']}", ada["token"])["assignee_id"]
        assert assignee == (bob["id"] if task["id"] in chosen else None), task["title"]
    expect(page.locator(".list-row.selected")).to_have_count(0)

    # select all, unselect one, archive the rest
    page.get_by_label("Select all loaded tasks").click()
    page.get_by_label(f"Select {made[0]['number']}").click()
    expect(page.locator(".list-row.selected")).to_have_count(5)
    page.get_by_role("button", name="Archive").click()
    expect(rows(page)).to_have_count(1)
    assert titles(page) == ["Step 1"]

    # s focuses the row's status; Enter opens the drawer on that task
    rows(page).first.locator(".cell-number").click()
    page.keyboard.press("s")
    expect(page.get_by_label(f"Status of {made[0]['number']}")).to_be_focused()
    rows(page).first.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/p/{pid}/list\?sort=number&task={made[0]['id']}$"))
    expect(page.get_by_role("dialog", name="Task")).to_be_visible()


def test_two_thousand_tasks_render_only_the_rows_in_view_and_page_by_keyset(
    demo_server: Server, demo_token: str, open_context: Any
) -> None:
    page = open_list(open_context, demo_server, demo_token, "/p/1/list?sort=title")
    expect(page.locator(".list-footer")).to_contain_text("2000 tasks")
    expect(page.locator(".list")).to_have_attribute("data-count", "100")
    assert 0 < rows(page).count() <= 40  # a 900 px window shows ~20 rows of 40 px

    pages: list[str] = []
    page.on("request", lambda r: "/tasks?" in r.url and pages.append(r.url))
    body = page.locator(".list-body")
    for _ in range(60):
        body.evaluate("b => { b.scrollTop = b.scrollHeight }")
        page.wait_for_timeout(60)
        if page.locator(".list").get_attribute("data-count") == "400":
            break
    assert int(page.locator(".list").get_attribute("data-count") or 0) >= 400
    assert rows(page).count() <= 40
    assert pages
    assert all("cursor=" in url and "sort=title" in url for url in pages)
    shown = titles(page)
    folded = [re.sub("[A-Z]", lambda m: m.group().lower(), t) for t in shown]
    assert folded == sorted(folded)

    # another sort starts at its top, with its first page and nothing more
    page.wait_for_timeout(300)  # any page of the old order still on its way
    pages.clear()
    page.get_by_role("button", name="Assignee").click()
    expect(page.locator(".list")).to_have_attribute("data-sort", "assignee")
    expect(page.locator(".list")).to_have_attribute("aria-busy", "false")
    assert body.evaluate("b => b.scrollTop") == 0
    expect(rows(page).first).to_have_attribute("data-row-index", "0")
    page.wait_for_timeout(300)
    assert len(pages) == 1, pages
    assert "sort=assignee" in pages[0]
    assert "cursor=" not in pages[0]
    expect(page.locator(".list")).to_have_attribute("data-count", "100")
