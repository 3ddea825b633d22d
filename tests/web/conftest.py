"""The web board in Debian's Chromium (driven by Playwright), against real `laneway serve`.

No browser is downloaded: Playwright drives /usr/bin/chromium, which `make test` installs.
The board is the embedded default's (SQLite), as users first meet it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from bench.web import CHROMIUM, CHROMIUM_ARGS
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.realtime.conftest import CHEAP_HASHING, start_server, stop_server

VIEWPORT = {"width": 1440, "height": 900}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


# Per module, not per session: while Playwright's sync API is up it holds an asyncio loop in
# this thread, and the suite's asyncio tests that follow on the same worker need it gone.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@dataclass
class Http:
    """The API over plain HTTP, for setting the scene and checking what the browser did."""

    base: str
    client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = httpx.Client(base_url=f"{self.base}/api/v1", timeout=30)

    def call(self, method: str, path: str, token: str | None = None, **kw: Any) -> Any:
        headers = kw.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response = self.client.request(method, path, headers=headers, **kw)
        assert response.status_code < 400, response.text
        return response.json() if response.content else None

    def close(self) -> None:
        self.client.close()

    def user(self, name: str) -> dict[str, Any]:
        email = f"{name.lower().replace(' ', '.')}.{uuid.uuid4().hex[:6]}@example.com"
        user = self.call(
            "POST", "/auth/register", json={"email": email, "password": "pw-12345678", "name": name}
        )
        login = self.call("POST", "/auth/login", json={"email": email, "password": "pw-12345678"})
        return {**user, "token": login["token"]}


@dataclass
class Server:
    url: str  # the database
    data_dir: Path
    base: str = ""
    process: subprocess.Popen[str] | None = None
    clients: list[Http] = field(default_factory=list)

    def start(self, port: int | None = None) -> None:
        self.process, self.base = start_server(self.url, port, LANEWAY_DATA_DIR=str(self.data_dir))

    def stop(self) -> None:
        if self.process is not None:
            stop_server(self.process, self.base)
            self.process = None
        for client in self.clients:
            client.close()
        self.clients.clear()

    def restart(self) -> None:
        port = int(self.base.rsplit(":", 1)[1])
        self.stop()
        self.start(port)

    @property
    def http(self) -> Http:
        client = Http(self.base)
        self.clients.append(client)
        return client


def _sqlite_copy(template: Path, directory: Path) -> str:
    path = directory / "laneway.db"
    shutil.copyfile(template, path)
    return f"sqlite+aiosqlite:///{path}"


# Per module: each test makes its own users and projects, and a server start costs more than
# some of the tests. A test that stops the server starts it again on the same port.
@pytest.fixture(scope="module")
def server(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    directory = tmp_path_factory.mktemp("server")
    running = Server(_sqlite_copy(sqlite_template, directory), directory)
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def demo_database(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`laneway demo`'s 2,000-task board, made once per test process (it takes a while) and
    copied for each module that shows it."""
    directory = tmp_path_factory.mktemp("demo")
    url = _sqlite_copy(sqlite_template, directory)
    env = {**os.environ, **CHEAP_HASHING, "LANEWAY_DATABASE_URL": url}
    env["LANEWAY_DATA_DIR"] = str(directory)
    subprocess.run(
        [sys.executable, "-m", "laneway", "demo"], env=env, check=True, capture_output=True
    )
    return directory / "laneway.db"


@pytest.fixture(scope="module")
def demo_server(demo_database: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server holding `laneway demo`'s 2,000-task board."""
    directory = tmp_path_factory.mktemp("demo-server")
    running = Server(_sqlite_copy(demo_database, directory), directory)
    running.start()
    yield running
    running.stop()


class PageErrors:
    """Uncaught exceptions in the page: any one fails the test."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def watch(self, page: Page) -> Page:
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        return page


@pytest.fixture
def page_errors() -> Iterator[PageErrors]:
    errors = PageErrors()
    yield errors
    assert errors.errors == [], errors.errors


@pytest.fixture
def open_context(browser: Browser, page_errors: PageErrors) -> Iterator[Any]:
    """new(token=None, color_scheme="light") -> a page in a fresh browser profile."""
    contexts: list[BrowserContext] = []

    def new(token: str | None = None, color_scheme: str = "light") -> Page:
        context = browser.new_context(viewport=VIEWPORT, color_scheme=color_scheme)  # type: ignore[arg-type]
        context.set_default_timeout(10_000)
        if token:
            context.add_init_script(f"localStorage.setItem('laneway.token', {token!r})")
        contexts.append(context)
        return page_errors.watch(context.new_page())

    yield new
    for context in contexts:
        context.close()


DEMO = {"email": "demo@laneway.local", "password": "laneway-demo"}


@pytest.fixture(scope="module")
def demo_token(demo_server: Server) -> str:
    token: str = demo_server.http.call("POST", "/auth/login", json=DEMO)["token"]
    return token
