"""Two browsers on two replicas (PostgreSQL + Redis, as production runs): each sees the other's
moves live, and a write through either replica reaches both boards."""

from __future__ import annotations

import os
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import Http
from tests.web.test_board import card, column, drag, shared_board

pytestmark = [
    pytest.mark.system,
    pytest.mark.skipif(
        "postgresql" not in os.environ.get("LANEWAY_TEST_BACKENDS", "sqlite,postgresql"),
        reason="replicas share PostgreSQL",
    ),
]


def test_two_browsers_on_two_replicas_see_each_others_moves(
    replicas: list[str], open_context: Any
) -> None:
    first_base, second_base = replicas
    first_http, second_http = Http(first_base), Http(second_base)
    try:
        ada, bob, project = shared_board(first_http)
        pid, key = project["id"], project["key"]
        for title in ("One", "Two"):
            first_http.call("POST", f"/projects/{pid}/tasks", ada["token"], json={"title": title})

        ada_page: Page = open_context(ada["token"])
        bob_page: Page = open_context(bob["token"])
        ada_page.goto(f"{first_base}/p/{pid}")
        bob_page.goto(f"{second_base}/p/{pid}")
        for page in (ada_page, bob_page):
            expect(page.locator(".live-status")).to_have_attribute("data-status", "live")

        drag(ada_page, card(ada_page, f"{key}-1"), column(ada_page, "Done").locator(".column-body"))
        expect(column(bob_page, "Done").locator(f'[data-number="{key}-1"]')).to_be_visible()
        expect(column(bob_page, "Todo").locator(".column-count")).to_have_text("1")

        card(bob_page, f"{key}-2").focus()
        bob_page.keyboard.press("Alt+ArrowRight")
        expect(column(ada_page, "In Progress").locator(f'[data-number="{key}-2"]')).to_be_visible()
        expect(column(ada_page, "Todo").locator(".column-count")).to_have_text("0")

        second_http.call("POST", f"/projects/{pid}/tasks", bob["token"], json={"title": "Third"})
        for page in (ada_page, bob_page):
            expect(column(page, "Todo")).to_contain_text("Third")
            expect(column(page, "Todo").locator(".column-count")).to_have_text("1")
    finally:
        first_http.close()
        second_http.close()
