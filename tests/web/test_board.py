"""A user's session on the board, end to end, in a real browser against a real server."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.web.conftest import Http, Server

pytestmark = pytest.mark.system


def column(page: Page, name: str) -> Locator:
    return page.locator(f'section.column[aria-label="{name}"]')


def card(page: Page, number: str) -> Locator:
    return page.locator(f'.task-card[data-number="{number}"]')


def drag(page: Page, source: Locator, target: Locator, dy: float = 30) -> None:
    """Press on a card, move in steps as a hand would, release over `target`."""
    start = source.bounding_box()
    end = target.bounding_box()
    assert start is not None
    assert end is not None
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(start["x"] + start["width"] / 2 + 10, start["y"] + start["height"] / 2, steps=4)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + dy, steps=12)
    page.mouse.up()


def board_of(http: Http, owner: dict[str, Any], name: str = "Web site") -> dict[str, Any]:
    project = http.call("POST", "/projects", owner["token"], json={"name": name})
    statuses = http.call("GET", f"/projects/{project['id']}/statuses", owner["token"])
    return {**project, "statuses": {s["name"]: s["id"] for s in statuses}}


def shared_board(http: Http) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Ada's project with Bob as a member: (ada, bob, project)."""
    ada, bob = http.user("Ada Lovelace"), http.user("Bob Babbage")
    project = board_of(http, ada)
    http.call(
        "POST", f"/projects/{project['id']}/members", ada["token"], json={"email": bob["email"]}
    )
    return ada, bob, project


def test_register_create_a_project_add_move_edit_and_comment(
    server: Server, open_context: Any
) -> None:
    page: Page = open_context()
    page.goto(f"{server.base}/")
    page.get_by_role("link", name="New here? Create an account").click()
    page.get_by_label("Name").fill("Ada Lovelace")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password").fill("analytical-engine")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Projects")).to_be_visible()

    page.get_by_label("Project name").fill("Engine")
    page.get_by_label("Project key (optional)").fill("ENG")
    page.get_by_role("button", name="Create project").click()
    # the module's server holds other tests' projects: this one's id comes from the address
    expect(page).to_have_url(re.compile(rf"^{re.escape(server.base)}/p/\d+$"))
    pid = int(page.url.rsplit("/", 1)[1])
    expect(page.locator(".live-status")).to_have_attribute("data-status", "live")

    todo, doing = column(page, "Todo"), column(page, "In Progress")
    todo.get_by_role("button", name="Add a task to Todo").click()
    for title in ("Design the mill", "Punch the cards", "Write the notes"):
        page.get_by_label("New task in Todo").fill(title)
        page.get_by_label("New task in Todo").press("Enter")
        expect(todo.locator(".task-card", has_text=title)).to_be_visible()
    expect(todo.locator(".column-count")).to_have_text("3")
    expect(doing.locator(".column-count")).to_have_text("0")

    drag(page, card(page, "ENG-2"), doing.locator(".column-body"))
    expect(doing.locator('[data-number="ENG-2"]')).to_be_visible()
    expect(todo.locator(".column-count")).to_have_text("2")
    expect(doing.locator(".column-count")).to_have_text("1")
    token = page.evaluate("localStorage.getItem('laneway.token')")
    http = server.http
    statuses = {s["name"]: s["id"] for s in http.call("GET", f"/projects/{pid}/statuses", token)}
    # the board shows the move before the server has answered it: wait for the write itself
    deadline = time.monotonic() + 10
    while (moved := http.call("GET", f"/projects/{pid}/tasks/by-number/ENG-2", token))[
        "status_id"
    ] != statuses["In Progress"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert moved["status_id"] == statuses["In Progress"]

    # reorder within a column: ENG-3 above ENG-1
    drag(page, card(page, "ENG-3"), todo.locator(".column-body"), dy=5)
    expect(todo.locator(".task-card").first).to_have_attribute("data-number", "ENG-3")
    page.reload()
    expect(todo.locator(".task-card").first).to_have_attribute("data-number", "ENG-3")

    card(page, "ENG-1").click()
    drawer = page.get_by_role("dialog", name="Task")
    expect(drawer.get_by_label("Title")).to_have_value("Design the mill")
    drawer.get_by_label("Title").fill("Design the mill, in brass")
    drawer.get_by_label("Priority").select_option("high")
    drawer.get_by_role("button", name="Save").click()
    expect(card(page, "ENG-1")).to_contain_text("Design the mill, in brass")
    expect(card(page, "ENG-1").locator(".priority")).to_have_text("high")

    drawer.get_by_label("New comment").fill("Gears first.")
    drawer.get_by_role("button", name="Comment").click()
    expect(drawer.locator(".comment-body")).to_have_text(["Gears first."])
    expect(drawer.locator(".history")).to_contain_text("changed title, priority")

    saved = http.call("GET", f"/projects/{pid}/tasks/by-number/ENG-1", token)
    assert (saved["title"], saved["priority"]) == ("Design the mill, in brass", "high")
    comments = http.call("GET", f"/tasks/{saved['id']}/comments", token)["items"]
    assert [c["body"] for c in comments] == ["Gears first."]


def test_the_next_title_is_typed_while_the_last_one_is_saved(
    server: Server, open_context: Any
) -> None:
    """Quick add keeps what was typed after Enter, whenever the save answers, and gives a
    refused title back."""
    ada = server.http.user("Ada Lovelace")
    project = board_of(server.http, ada, "Quick add")
    page: Page = open_context(ada["token"])
    held: list[Any] = []

    def hold_creates(route: Any) -> None:
        if route.request.method == "POST":
            held.append(route)
        else:
            route.continue_()

    page.route(re.compile(rf".*/api/v1/projects/{project['id']}/tasks$"), hold_creates)
    page.goto(f"{server.base}/p/{project['id']}")
    todo = column(page, "Todo")
    todo.get_by_role("button", name="Add a task to Todo").click()
    box = page.get_by_label("New task in Todo")

    box.fill("First")
    box.press("Enter")
    expect(box).to_have_value("")
    while not held:
        page.wait_for_timeout(20)
    box.fill("Second")
    with page.expect_response(lambda r: r.request.method == "POST") as saved:
        held.pop().continue_()
    assert saved.value.status == 201
    expect(todo.locator(".task-card", has_text="First")).to_be_visible()
    expect(box).to_have_value("Second")

    # a refused save gives its title back to an empty box
    box.press("Enter")
    while not held:
        page.wait_for_timeout(20)
    held.pop().fulfill(
        status=422,
        content_type="application/problem+json",
        body='{"title": "Unprocessable", "status": 422, "detail": "refused here"}',
    )
    expect(box).to_have_value("Second")
    expect(page.get_by_text("Could not add the task")).to_be_visible()
    expect(todo.locator(".task-card", has_text="Second")).to_have_count(0)


def test_two_viewers_see_each_others_moves_and_presence(server: Server, open_context: Any) -> None:
    http = server.http
    ada, bob, project = shared_board(http)
    pid = project["id"]
    for title in ("One", "Two"):
        http.call("POST", f"/projects/{pid}/tasks", ada["token"], json={"title": title})
    key = project["key"]

    first, second = open_context(ada["token"]), open_context(bob["token"])
    for page in (first, second):
        page.goto(f"{server.base}/p/{pid}")
        expect(page.locator(".live-status")).to_have_attribute("data-status", "live")
    expect(first.locator(".presence .avatar")).to_have_attribute("title", "Bob Babbage")
    expect(second.locator(".presence .avatar")).to_have_attribute("title", "Ada Lovelace")

    # Ada moves with the keyboard; Bob sees it arrive
    card(first, f"{key}-1").focus()
    first.keyboard.press("Alt+ArrowRight")
    expect(column(second, "In Progress").locator(f'[data-number="{key}-1"]')).to_be_visible()
    expect(column(second, "Todo").locator(".column-count")).to_have_text("1")
    expect(column(second, "In Progress").locator(".column-count")).to_have_text("1")

    # Bob moves with the menu; Ada sees it arrive
    card(second, f"{key}-2").get_by_role("button", name=f"Move {key}-2").click()
    second.get_by_role("menuitem", name="Done").click()
    expect(column(first, "Done").locator(f'[data-number="{key}-2"]')).to_be_visible()
    expect(column(first, "Todo").locator(".column-count")).to_have_text("0")
    expect(column(first, "Done").locator(".column-count")).to_have_text("1")

    # a change made outside the browser reaches both
    http.call("POST", f"/projects/{pid}/tasks", bob["token"], json={"title": "From the API"})
    for page in (first, second):
        expect(column(page, "Todo")).to_contain_text("From the API")

    second.close()
    expect(first.locator(".presence .avatar")).to_have_count(0)


def test_a_stale_edit_shows_the_conflict_and_overwrites_nothing(
    server: Server, open_context: Any
) -> None:
    http = server.http
    ada, bob, project = shared_board(http)
    pid = project["id"]
    task = http.call("POST", f"/projects/{pid}/tasks", ada["token"], json={"title": "Original"})

    page = open_context(ada["token"])
    page.goto(f"{server.base}/p/{pid}?task={task['id']}")
    drawer = page.get_by_role("dialog", name="Task")
    expect(drawer.get_by_label("Title")).to_have_value("Original")
    drawer.get_by_label("Title").fill("Ada's title")

    # Bob changes the description meanwhile
    http.call(
        "PATCH",
        f"/tasks/{task['id']}",
        bob["token"],
        json={"description": "Bob's notes"},
        headers={"If-Match": f'"v{task["version"]}"'},
    )
    expect(drawer).to_contain_text("Someone else changed this task while you were editing it.")
    drawer.get_by_role("button", name="Save").click()
    conflict = drawer.get_by_role("alert").filter(has_text="Someone else changed this task")
    expect(conflict).to_be_visible()
    expect(conflict).to_contain_text("Ada's title")
    expect(drawer.get_by_label("Description")).to_have_value("Bob's notes")
    current = http.call("GET", f"/tasks/{task['id']}", ada["token"])
    assert (current["title"], current["description"]) == ("Original", "Bob's notes")

    conflict.get_by_role("button", name="Apply my changes").click()
    expect(conflict).to_be_hidden()
    expect(drawer.get_by_label("Title")).to_have_value("Ada's title")
    final = http.call("GET", f"/tasks/{task['id']}", ada["token"])
    assert (final["title"], final["description"]) == ("Ada's title", "Bob's notes")


def test_the_board_catches_up_after_the_server_restarts(server: Server, open_context: Any) -> None:
    http = server.http
    ada = http.user("Ada Lovelace")
    project = board_of(http, ada)
    pid = project["id"]
    http.call("POST", f"/projects/{pid}/tasks", ada["token"], json={"title": "Before"})
    page = open_context(ada["token"])
    board_loads: list[str] = []
    page.on("request", lambda r: "/board" in r.url and board_loads.append(r.url))
    page.goto(f"{server.base}/p/{pid}")
    expect(page.locator(".live-status")).to_have_attribute("data-status", "live")
    page.evaluate("window.sameDocument = true")

    server.stop()
    expect(page.locator(".live-status")).not_to_have_attribute("data-status", "live")
    server.start(int(server.base.rsplit(":", 1)[1]))
    http = server.http
    http.call("POST", f"/projects/{pid}/tasks", ada["token"], json={"title": "After"})
    todo = column(page, "Todo")
    expect(todo).to_contain_text("After", timeout=20_000)
    expect(todo.locator(".column-count")).to_have_text("2")
    expect(page.locator(".live-status")).to_have_attribute("data-status", "live")
    assert page.evaluate("window.sameDocument") is True  # resumed, not reloaded
    assert len(board_loads) == 1


def test_a_stale_move_is_undone_with_a_message_and_can_be_applied_again(
    server: Server, open_context: Any
) -> None:
    http = server.http
    ada, bob, project = shared_board(http)
    pid, key = project["id"], project["key"]
    task = http.call("POST", f"/projects/{pid}/tasks", ada["token"], json={"title": "Contested"})

    page: Page = open_context(ada["token"])
    # Ada's live stream stops delivering, so her board keeps showing the old version
    held: list[bool] = [False]

    def relay(socket: Any) -> None:
        server_side = socket.connect_to_server()
        server_side.on_message(lambda message: None if held[0] else socket.send(message))

    page.route_web_socket("**/live*", relay)
    page.goto(f"{server.base}/p/{pid}")
    expect(page.locator(".live-status")).to_have_attribute("data-status", "live")
    expect(card(page, f"{key}-1")).to_be_visible()
    held[0] = True
    http.call(
        "POST",
        f"/tasks/{task['id']}/move",
        bob["token"],
        json={"status_id": project["statuses"]["Done"]},
        headers={"If-Match": '"v1"'},
    )

    drag(page, card(page, f"{key}-1"), column(page, "In Progress").locator(".column-body"))
    toast = page.locator(".toast")
    expect(toast).to_contain_text(f"{key}-1 was changed by someone else while you moved it")
    expect(column(page, "Todo").locator(f'[data-number="{key}-1"]')).to_be_visible()
    assert (
        http.call("GET", f"/tasks/{task['id']}", ada["token"])["status_id"]
        == (project["statuses"]["Done"])
    )

    toast.get_by_role("button", name="Move it again").click()
    expect(column(page, "In Progress").locator(f'[data-number="{key}-1"]')).to_be_visible()
    for _ in range(100):  # the card moved at once; the server's answer follows
        moved = http.call("GET", f"/tasks/{task['id']}", ada["token"])
        if moved["version"] == 3:
            break
        page.wait_for_timeout(50)
    assert (moved["status_id"], moved["version"]) == (project["statuses"]["In Progress"], 3)
    expect(toast).to_have_count(0)

    # the stream flows again: the next event shows a gap, the board refills it from the log
    held[0] = False
    http.call("POST", f"/projects/{pid}/tasks", bob["token"], json={"title": "Next"})
    expect(column(page, "Todo")).to_contain_text("Next")
    expect(column(page, "In Progress").locator(".column-count")).to_have_text("1")
    expect(column(page, "Done").locator(".column-count")).to_have_text("0")
    expect(column(page, "Todo").locator(".column-count")).to_have_text("1")


def test_delete_a_task_then_rename_and_archive_the_project(
    server: Server, open_context: Any
) -> None:
    http = server.http
    ada = http.user("Ada Lovelace")
    project = board_of(http, ada)
    pid, key = project["id"], project["key"]
    for title in ("Keep", "Drop"):
        http.call("POST", f"/projects/{pid}/tasks", ada["token"], json={"title": title})
    page: Page = open_context(ada["token"])
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{server.base}/p/{pid}")
    todo = column(page, "Todo")
    expect(todo.locator(".column-count")).to_have_text("2")

    card(page, f"{key}-2").click()
    page.get_by_role("dialog", name="Task").get_by_role("button", name="Delete").click()
    expect(page.get_by_role("dialog", name="Task")).to_have_count(0)
    expect(card(page, f"{key}-2")).to_have_count(0)
    expect(todo.locator(".column-count")).to_have_text("1")
    tasks = http.call("GET", f"/projects/{pid}/tasks", ada["token"])["items"]
    assert [t["title"] for t in tasks] == ["Keep"]

    page.get_by_role("link", name="Settings").click()
    settings = page.get_by_role("region", name="Project")
    settings.get_by_label("Name").fill("Analytical Engine")
    settings.get_by_label("Name").press("Enter")
    expect(page.get_by_role("heading", name="Analytical Engine settings")).to_be_visible()
    settings.get_by_role("button", name="Archive project").click()
    expect(settings.get_by_role("button", name="Restore project")).to_be_visible()
    assert http.call("GET", f"/projects/{pid}", ada["token"])["archived_at"] is not None

    page.get_by_role("link", name="← Back to the board").click()
    expect(page.get_by_text("This project is archived")).to_be_visible()
    expect(page.get_by_role("button", name="Add a task to Todo")).to_have_count(0)
