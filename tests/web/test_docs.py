"""The API documentation renders offline, under its Content-Security-Policy, in Chromium."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import Server

pytestmark = pytest.mark.system


def test_docs_render_from_the_server_alone_under_its_policy(
    server: Server, open_context: Any
) -> None:
    page: Page = open_context()
    requested: list[str] = []
    console: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.goto(f"{server.base}/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Laneway")
    expect(page.locator(".opblock").first).to_be_visible()
    # a blocked script, style or fetch is reported on the console; none may be
    assert [line for line in console if line.startswith("error")] == [], console
    origin = urlsplit(server.base).netloc
    assert {urlsplit(url).netloc for url in requested if not url.startswith("data:")} == {origin}
    assert f"{server.base}/openapi.json" in requested
