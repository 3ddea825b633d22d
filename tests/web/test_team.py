"""Working as a team in the browser: markdown that is rendered safely, task lists ticked from
the drawer with their progress on the card, the inbox, and my work across projects."""

from __future__ import annotations

import re
import struct
import time
import zlib
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import Server
from tests.web.test_board import card, shared_board

pytestmark = pytest.mark.system

# Each one, rendered, must neither run nor leave anything that could: no script, no handler,
# no javascript: or data: URL anywhere in what the page shows.
PAYLOADS = [
    "<script>window.pwned = 1</script>",
    '<img src=x onerror="window.pwned = 2">',
    "[click](javascript:window.pwned=3)",
    "[data](data:text/html;base64,PHNjcmlwdD5wYXJlbnQucHduZWQ9NDwvc2NyaXB0Pg==)",
    '<a href="javascript:window.pwned=5">raw link</a>',
    "![img](javascript:window.pwned=6)",
    '<svg onload="window.pwned=7"></svg>',
    '<iframe src="javascript:window.pwned=8"></iframe>',
    "[spaced](  JaVaScRiPt:window.pwned=9)",
    '<div style="background:url(javascript:window.pwned=10)">x</div>',
    "<details open ontoggle=window.pwned=11>",
]


def test_markdown_is_rendered_and_nothing_in_it_runs(server: Server, open_context: Any) -> None:
    http = server.http
    ada, bob, project = shared_board(http)
    description = "**Bold** and `code`\n\n> quoted\n\n" + "\n\n".join(PAYLOADS)
    task = http.call(
        "POST", f"/projects/{project['id']}/tasks", ada["token"],
        json={"title": "Hostile", "description": description},
    )  # fmt: skip
    http.call("POST", f"/tasks/{task['id']}/comments", bob["token"], json={"body": PAYLOADS[1]})
    page: Page = open_context(ada["token"])
    page.goto(f"{server.base}/p/{project['id']}?task={task['id']}")
    drawer = page.get_by_role("dialog", name="Task")
    preview = drawer.get_by_label("Preview")
    expect(preview.locator("strong")).to_have_text("Bold")
    expect(preview.locator("blockquote")).to_contain_text("quoted")
    expect(drawer.locator(".comment-body")).to_have_count(1)
    # what the page holds (elements and attributes), not the text shown: escaped payloads
    # are text, and harmless
    found = page.evaluate(
        """() => [...document.querySelectorAll('.markdown *')].map(e => ({
            tag: e.tagName.toLowerCase(),
            attrs: [...e.attributes].map(a => [a.name, a.value]),
        }))"""
    )
    tags = {element["tag"] for element in found}
    assert tags <= {"p", "strong", "code", "blockquote", "a", "pre", "ul", "ol", "li", "br"}
    for element in found:
        for name, value in element["attrs"]:
            assert not name.startswith("on"), element
            assert not re.match(r"(?i)\s*(javascript|data|vbscript):", value), element
    assert "&lt;script&gt;" in preview.inner_html()  # shown as text
    for link in preview.locator("a").all():
        assert link.get_attribute("rel") == "noopener noreferrer"
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.pwned") is None


def test_a_task_list_ticked_in_the_drawer_shows_on_the_card(
    server: Server, open_context: Any
) -> None:
    http = server.http
    ada, _bob, project = shared_board(http)
    # a marker inside a code block is no task: it neither counts nor moves the others
    code = "```\n- [ ] not a task\n```\n"
    steps = f"Steps:\n\n{code}- [ ] draft\n- [x] review\n- [ ] ship"
    task = http.call(
        "POST", f"/projects/{project['id']}/tasks", ada["token"],
        json={"title": "Checklist", "description": steps},
    )  # fmt: skip
    page: Page = open_context(ada["token"])
    page.goto(f"{server.base}/p/{project['id']}")
    expect(card(page, task["number"]).locator(".checklist")).to_have_text("☑ 1/3")
    card(page, task["number"]).click()
    boxes = page.get_by_label("Preview").locator("input[type=checkbox]")
    expect(boxes).to_have_count(3)
    boxes.nth(0).check()
    expect(card(page, task["number"]).locator(".checklist")).to_have_text("☑ 2/3")
    # the card shows the tick at once; the server has it once the PATCH is answered
    wanted = f"Steps:\n\n{code}- [x] draft\n- [x] review\n- [ ] ship"
    deadline = time.monotonic() + 10
    while http.call("GET", f"/tasks/{task['id']}", ada["token"])["description"] != wanted:
        assert time.monotonic() < deadline, "the tick was never saved"
        page.wait_for_timeout(100)


def test_the_inbox_and_my_work(server: Server, open_context: Any) -> None:
    http = server.http
    ada, bob, project = shared_board(http)
    me = http.call("GET", "/me", ada["token"])
    task = http.call(
        "POST", f"/projects/{project['id']}/tasks", ada["token"],
        json={"title": "Review the deck", "due_date": "2020-01-01", "assignee_id": ada["id"]},
    )  # fmt: skip
    page: Page = open_context(ada["token"])
    page.goto(f"{server.base}/p/{project['id']}")
    bell = page.locator(".bell")
    expect(bell).to_have_attribute("aria-label", "Inbox")

    # Bob mentions Ada while her board is open: the bell counts it without a reload
    http.call(
        "POST", f"/tasks/{task['id']}/comments", bob["token"],
        json={"body": f"@{me['username']} can you look?"},
    )  # fmt: skip
    expect(bell).to_have_attribute("aria-label", "Inbox, 1 unread", timeout=15_000)
    bell.click()
    expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
    entry = page.locator(".notification-list li").first
    expect(entry).to_have_attribute("data-kind", "mentioned")
    # another one while the inbox is open joins the list without a reload
    http.call(
        "POST", f"/tasks/{task['id']}/comments", bob["token"],
        json={"body": f"@{me['username']} and again"},
    )  # fmt: skip
    expect(page.locator(".notification-list li")).to_have_count(2, timeout=15_000)
    expect(entry).to_contain_text("and again")
    expect(bell).to_have_attribute("aria-label", "Inbox, 2 unread")
    expect(entry).to_contain_text("Bob Babbage mentioned you")
    expect(entry).to_contain_text("Review the deck")
    entry.get_by_role("button").click()
    expect(page).to_have_url(re.compile(rf"/p/{project['id']}\?task={task['id']}$"))
    expect(page.get_by_role("dialog", name="Task")).to_be_visible()
    expect(bell).to_have_attribute("aria-label", "Inbox, 1 unread")

    page.keyboard.press("Escape")  # the drawer closes
    page.get_by_role("link", name="My work").click()
    overdue = page.get_by_role("region", name="Overdue")
    expect(overdue).to_contain_text("Review the deck")
    overdue.get_by_role("link").first.click()
    expect(page.get_by_role("dialog", name="Task")).to_be_visible()


def test_mentions_complete_as_they_are_typed(server: Server, open_context: Any) -> None:
    http = server.http
    ada, bob, project = shared_board(http)
    ada_name = http.call("GET", "/me", ada["token"])["username"]
    task = http.call(
        "POST", f"/projects/{project['id']}/tasks", bob["token"], json={"title": "Ask"}
    )
    page: Page = open_context(bob["token"])
    page.goto(f"{server.base}/p/{project['id']}?task={task['id']}")
    box = page.get_by_label("New comment")
    box.click()
    box.press_sequentially("thanks @Lov")  # a word of Ada's name
    options = page.get_by_role("listbox", name="Mention someone").get_by_role("option")
    expect(options).to_have_count(1)
    expect(options.first).to_contain_text(f"@{ada_name}")
    box.press("Enter")
    expect(box).to_have_value(f"thanks @{ada_name} ")
    box.press_sequentially("please look")
    page.get_by_role("button", name="Comment").click()
    expect(page.locator(".comment-body")).to_have_text(f"thanks @{ada_name} please look")
    comments = http.call("GET", f"/tasks/{task['id']}/comments", bob["token"])["items"]
    assert [c["body"] for c in comments] == [f"thanks @{ada_name} please look"]


def png() -> bytes:
    """A valid 2x2 red PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_a_file_dropped_into_the_drawer_downloads_again(server: Server, open_context: Any) -> None:
    http = server.http
    ada, _bob, project = shared_board(http)
    task = http.call(
        "POST", f"/projects/{project['id']}/tasks", ada["token"], json={"title": "Files"}
    )
    page: Page = open_context(ada["token"])
    page.goto(f"{server.base}/p/{project['id']}?task={task['id']}")
    files = page.get_by_role("region", name="Attachments")
    expect(files).to_be_visible()

    # a real drop: a DataTransfer holding a file, dropped on the drawer
    dropped = page.evaluate_handle(
        """() => {
            const transfer = new DataTransfer();
            transfer.items.add(new File(["minutes of the meeting\\n"], "notes.txt"));
            return transfer;
        }"""
    )
    page.get_by_role("dialog", name="Task").dispatch_event("dragover", {"dataTransfer": dropped})
    page.get_by_role("dialog", name="Task").dispatch_event("drop", {"dataTransfer": dropped})
    expect(files.get_by_role("button", name="notes.txt", exact=True)).to_be_visible()
    with page.expect_download() as download:
        files.get_by_role("button", name="notes.txt", exact=True).click()
    saved = download.value
    assert saved.suggested_filename == "notes.txt"
    assert Path(saved.path()).read_bytes() == b"minutes of the meeting\n"

    # an image is previewed; its bytes come back exactly, whatever name it was given
    files.get_by_label("Attach a file").set_input_files(
        {"name": "photo.html", "mimeType": "text/html", "buffer": png()}
    )
    expect(files.get_by_role("img", name="photo.html")).to_be_visible()
    listed = http.call("GET", f"/tasks/{task['id']}/attachments", ada["token"])["items"]
    assert sorted((a["name"], a["media_type"]) for a in listed) == [
        ("notes.txt", "text/plain"),
        ("photo.html", "image/png"),
    ]
