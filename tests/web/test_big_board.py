"""The demo's 2,000-task board: rendering stays bounded, filters live in the URL, screenshots."""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from laneway.web.routes import DIST
from tests.web.conftest import SCREENSHOTS, Server
from tests.web.test_board import card, column

pytestmark = pytest.mark.system

INITIAL_JS_BUDGET = 30 * 1024  # gzipped bytes


def open_board(open_context: Any, server: Server, token: str, query: str = "", **kw: Any) -> Page:
    page: Page = open_context(token, **kw)
    page.goto(f"{server.base}/p/1{query}")
    expect(page.locator(".live-status")).to_have_attribute("data-status", "live")
    return page


def test_screenshots_of_the_board_light_and_dark(
    demo_server: Server, demo_token: str, open_context: Any
) -> None:
    """Pictures for the README (docs/screenshots/), taken from the demo board."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for scheme in ("light", "dark"):
        page = open_board(open_context, demo_server, demo_token, color_scheme=scheme)
        page.mouse.move(0, 0)
        page.screenshot(path=SCREENSHOTS / f"board-{scheme}.png")
        card(page, "DEMO-2").click()
        expect(page.get_by_role("dialog", name="Task").locator(".history li")).not_to_have_count(0)
        page.screenshot(path=SCREENSHOTS / f"task-{scheme}.png")
    for name in ("board-light", "board-dark", "task-light", "task-dark"):
        assert (SCREENSHOTS / f"{name}.png").stat().st_size > 10_000


def test_a_long_column_renders_only_what_is_visible_and_pages_on_scroll(
    demo_server: Server, demo_token: str, open_context: Any
) -> None:
    page = open_board(open_context, demo_server, demo_token)
    todo = column(page, "Todo")
    expect(todo.locator(".column-count")).to_have_text("400")
    rendered = todo.locator(".task-card").count()
    assert 0 < rendered <= 20  # a 900 px window shows ~8 cards of a 50-card first page

    pages: list[str] = []
    page.on("request", lambda r: "/tasks?" in r.url and pages.append(r.url))
    body = todo.locator(".column-body")
    for _ in range(40):  # scroll to the end, page by page, until all 400 are loaded
        body.evaluate("b => { b.scrollTop = b.scrollHeight }")
        page.wait_for_timeout(60)
        if todo.get_attribute("data-count") == "400":
            break
    expect(todo).to_have_attribute("data-count", "400")
    assert todo.locator(".task-card").count() <= 20
    assert len(pages) >= 4  # 50 first, then pages of 100 from the column's cursor
    assert all("cursor=" in url and "sort=rank" in url for url in pages)
    numbers = todo.locator(".task-card").evaluate_all("cs => cs.map(c => c.dataset.number)")
    assert len(set(numbers)) == len(numbers)


def expect_counts(page: Page, server: Server, token: str, query: dict[str, str]) -> None:
    """Every column's count reads "<matching> of <all>", as the API counts them."""
    statuses = server.http.call("GET", "/projects/1/statuses", token)
    search = "&".join(f"{k}={v}" for k, v in query.items())
    counted = server.http.call("GET", f"/projects/1/tasks/counts?{search}", token)["items"]
    matching = {c["status_id"]: c["count"] for c in counted}
    assert sum(matching.values()) > 0
    for status in statuses:
        expect(column(page, status["name"]).locator(".column-count")).to_have_text(
            f"{matching.get(status['id'], 0)} of {status['count']}"
        )


def test_filters_are_applied_by_the_server_and_kept_in_the_url(
    demo_server: Server, demo_token: str, open_context: Any
) -> None:
    page = open_board(open_context, demo_server, demo_token)
    page.get_by_label("Priority").select_option("urgent")
    expect(page).to_have_url(re.compile(r"/p/1\?priority=urgent$"))
    expect(page.locator(".board")).to_have_attribute("data-filter", "?priority=urgent")
    expect(page.locator(".task-card .priority")).not_to_have_count(0)
    priorities = page.locator(".task-card .priority").all_inner_texts()
    assert {p.lower() for p in priorities} == {"urgent"}
    # each column says how many of its tasks match, of all it holds
    expect_counts(page, demo_server, demo_token, {"priority": "urgent"})

    # searched as it is typed, without Enter; the address is replaced, not stacked per pause
    entries = page.evaluate("history.length")
    page.get_by_label("Search tasks").press_sequentially("web", delay=30)
    expect(page).to_have_url(re.compile(r"priority=urgent&q=web$"))
    page.get_by_label("Search tasks").press_sequentially("hook", delay=30)
    expect(page).to_have_url(re.compile(r"priority=urgent&q=webhook$"))
    expect(page.locator(".board")).to_have_attribute("data-filter", "?priority=urgent&q=webhook")
    assert page.evaluate("history.length") == entries
    page.reload()
    expect(page.locator(".board")).to_have_attribute("data-filter", "?priority=urgent&q=webhook")
    expect(page.get_by_label("Priority")).to_have_value("urgent")
    expect(page.get_by_label("Search tasks")).to_have_value("webhook")
    titles = page.locator(".task-card .task-title").all_inner_texts()
    assert titles
    assert all("webhook" in t.lower() for t in titles)

    # a task changed elsewhere joins the filtered board only if it matches
    http = demo_server.http
    task = http.call("POST", "/projects/1/tasks", demo_token, json={"title": "Webhook backoff"})
    http.call(
        "PATCH",
        f"/tasks/{task['id']}",
        demo_token,
        json={"priority": "urgent"},
        headers={"If-Match": '"v1"'},
    )
    expect(card(page, task["number"])).to_be_visible()
    expect_counts(page, demo_server, demo_token, {"priority": "urgent", "q": "webhook"})
    page.get_by_role("button", name="Clear filters").click()
    expect(page).to_have_url(re.compile(r"/p/1$"))

    # labels add up: tasks with every chosen label
    labels = {lb["name"]: lb["id"] for lb in http.call("GET", "/projects/1/labels", demo_token)}
    page.get_by_label("Label", exact=True).select_option(label="bug")
    page.get_by_label("Label", exact=True).select_option(label="ui")
    expect(page).to_have_url(re.compile(rf"\?label={labels['bug']}&label={labels['ui']}$"))
    expect(page.locator(".board")).to_have_attribute(
        "data-filter", f"?label={labels['bug']}&label={labels['ui']}"
    )
    chips = page.locator(".task-card .card-labels")
    expect(chips.first).to_be_visible()
    assert all({"bug", "ui"} <= set(t.split()) for t in chips.all_inner_texts())
    page.get_by_role("button", name="Stop filtering by bug").click()
    expect(page).to_have_url(re.compile(rf"\?label={labels['ui']}$"))


def test_an_answer_for_an_older_filter_never_replaces_a_newer_one(
    demo_server: Server, demo_token: str, open_context: Any
) -> None:
    """Two quick filter changes: the first one's answers arrive last and are dropped."""
    page = open_board(open_context, demo_server, demo_token)
    listed = demo_server.http.call("GET", "/projects/1/labels", demo_token)
    labels = {lb["name"]: lb["id"] for lb in listed}
    held: list[Route] = []

    def hold_one_label_lists(route: Route) -> None:
        if route.request.url.count("label=") == 1:
            held.append(route)
        else:
            route.continue_()

    page.route(re.compile(r"/api/v1/projects/1/tasks\?"), hold_one_label_lists)
    page.get_by_label("Label", exact=True).select_option(label="bug")
    page.get_by_label("Label", exact=True).select_option(label="ui")
    both = f"?label={labels['bug']}&label={labels['ui']}"
    expect(page.locator(".board")).to_have_attribute("data-filter", both)
    assert held  # the one-label lists are still unanswered
    answered: list[str] = []
    page.on("requestfinished", lambda request: answered.append(request.url))
    for route in held:
        route.continue_()
    while not all(route.request.url in answered for route in held):
        page.wait_for_timeout(50)  # the late answers arrive; the board must ignore them
    expect(page.locator(".board")).to_have_attribute("data-filter", both)
    chips = page.locator(".task-card .card-labels")
    expect(chips.first).to_be_visible()
    assert all({"bug", "ui"} <= set(t.split()) for t in chips.all_inner_texts())


def test_a_status_and_a_label_added_in_settings_appear_on_the_open_board(
    demo_server: Server, demo_token: str, open_context: Any
) -> None:
    board = open_board(open_context, demo_server, demo_token)
    settings = open_context(demo_token)
    settings.goto(f"{demo_server.base}/p/1/settings")
    settings.get_by_label("New status name").fill("Blocked by vendor")
    settings.get_by_role("button", name="Add status").click()
    expect(settings.get_by_label("Name of Blocked by vendor")).to_be_visible()
    expect(column(board, "Blocked by vendor")).to_be_visible()
    expect(column(board, "Blocked by vendor").locator(".column-count")).to_have_text("0")

    settings.get_by_label("New label name").fill("vendor")
    settings.get_by_role("button", name="Add label").click()
    expect(
        settings.get_by_label("Labels").locator(".label-chip", has_text="vendor")
    ).to_be_visible()
    expect(
        board.get_by_label("Label", exact=True).locator("option", has_text="vendor")
    ).to_have_count(1)

    settings.get_by_label("Name of label vendor").fill("supplier")
    settings.get_by_label("Name of label vendor").press("Enter")
    expect(
        board.get_by_label("Label", exact=True).locator("option", has_text="supplier")
    ).to_have_count(1)
    settings.on("dialog", lambda dialog: dialog.accept())
    row = settings.get_by_label("Labels").locator("tr", has_text="supplier")
    row.get_by_role("button", name="Delete").click()
    expect(settings.get_by_label("Labels").locator("tr", has_text="supplier")).to_have_count(0)
    expect(
        board.get_by_label("Label", exact=True).locator("option", has_text="supplier")
    ).to_have_count(0)


def test_initial_javascript_fits_the_budget_and_the_rest_is_lazy() -> None:
    page = (DIST / "index.html").read_text()
    entry = re.findall(r'<script type="module" crossorigin src="/(assets/[^"]+\.js)"', page)
    assert len(entry) == 1
    initial = (DIST / entry[0]).read_bytes()
    assert len(gzip.compress(initial, 9)) <= INITIAL_JS_BUDGET
    lazy = {Path(p).name.split("-")[0] for p in (DIST / "assets").glob("*.js")} - {"index"}
    assert {"drag", "Drawer", "Settings"} <= lazy
    assert "modulepreload" not in page  # nothing lazy is fetched up front


def test_the_theme_switch_overrides_the_system_choice_and_is_remembered(
    demo_server: Server, demo_token: str, open_context: Any
) -> None:
    page = open_board(open_context, demo_server, demo_token, color_scheme="light")
    background = "() => getComputedStyle(document.body).backgroundColor"
    assert page.evaluate(background) == "rgb(244, 245, 248)"
    switch = page.get_by_role("button", name="Colour theme")
    switch.click()
    expect(switch).to_have_text("☀ Light")
    switch.click()
    expect(switch).to_have_text("☾ Dark")
    assert page.evaluate(background) == "rgb(18, 20, 28)"
    page.reload()
    expect(page.get_by_role("button", name="Colour theme")).to_have_text("☾ Dark")
    assert page.evaluate(background) == "rgb(18, 20, 28)"
