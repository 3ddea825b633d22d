"""A real SMTP server (aiosmtpd) on a spare port, collecting what it accepts; it can be
stopped and started again on the same port, like a mail server that goes down."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from laneway.config import EmailSettings, HttpSettings, Settings
from laneway.models import Notification
from laneway.models.base import utcnow
from laneway.state import AppState
from tests.conftest import make_settings

PUBLIC_URL = "https://laneway.example"


class Collector:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted"


def spare_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class SmtpServer:
    def __init__(self) -> None:
        self.port = spare_port()
        self.collector = Collector()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def messages(self) -> list[EmailMessage]:
        return self.collector.messages

    def start(self) -> None:
        self._controller = Controller(self.collector, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def settings(database_url: str, tmp_path: Path, smtp_server: SmtpServer) -> Settings:
    """The app sends email to the test's server, and links to PUBLIC_URL."""
    return make_settings(
        database_url,
        tmp_path / "data",
        email=EmailSettings(smtp_url=smtp_server.url),
        http=HttpSettings(public_url=PUBLIC_URL),
    )


class Clock:
    """The mailer's clock, moved by the test (notifications keep the real time they were made)."""

    def __init__(self, window: float) -> None:
        self.window = timedelta(seconds=window)
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def a_window_on(self, windows: float = 1) -> None:
        """A little over `windows` windows on (from the real time, or from the clock's own if
        it is ahead already): every notification made so far is that old."""
        self.now = max(self.now, utcnow()) + self.window * windows + timedelta(seconds=1)


@pytest.fixture
def clock(state: AppState) -> Clock:
    assert state.mailer is not None
    clock = Clock(state.settings.email.batch_seconds)
    state.mailer.clock = clock
    return clock


async def emailed(state: AppState, user_id: int) -> list[bool]:
    """For each of the user's notifications, oldest first: emailed yet?"""
    async with state.database.transaction(write=False) as session:
        rows = await session.scalars(
            select(Notification.emailed_at)
            .where(Notification.user_id == user_id)
            .order_by(Notification.id)
        )
        return [value is not None for value in rows]


def text_of(message: EmailMessage, kind: str) -> str:
    part = message.get_body((kind,))
    assert part is not None, f"no {kind} part"
    content: str = part.get_content()  # type: ignore[attr-defined]
    return content
