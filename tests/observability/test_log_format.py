"""Log lines a person reads on a terminal, JSON lines anywhere else, unless
LANEWAY_LOG_FORMAT says which (the end-to-end case is `serve` on a pty, in test_cli_server)."""

from __future__ import annotations

import json
import logging
import os
import pty
import re
import select
import sys
from collections.abc import Iterator

import pytest
import structlog

from laneway.config import LogFormat, LogSettings
from laneway.observability.logging import configure_logging

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture
def restored_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers, root.level = handlers, level
    structlog.reset_defaults()


def _written(settings: LogSettings, terminal: bool, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The lines one stdlib record and one structlog event make on stderr, when stderr is a
    terminal (a pseudo-terminal) or a pipe."""
    reader, writer = pty.openpty() if terminal else os.pipe()
    with os.fdopen(writer, "w") as stream:
        monkeypatch.setattr(sys, "stderr", stream)
        configure_logging(settings)
        logging.getLogger("laneway.test").info("from the standard library")
        structlog.get_logger("laneway.test").info("from structlog", rows=3)
        stream.flush()
    written = b""
    while written.count(b"\n") < 2 and select.select([reader], [], [], 5)[0]:
        written += os.read(reader, 65536)  # a terminal hands the lines over in pieces
    os.close(reader)
    return [ANSI.sub("", line) for line in written.decode().splitlines() if line.strip()]


@pytest.mark.parametrize(
    ("chosen", "terminal", "as_json"),
    [
        (LogFormat.auto, True, False),
        (LogFormat.auto, False, True),
        (LogFormat.json, True, True),
        (LogFormat.console, False, False),
    ],
)
@pytest.mark.usefixtures("restored_logging")
def test_the_format_follows_the_terminal_unless_told(
    chosen: LogFormat, terminal: bool, as_json: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = _written(LogSettings(level="INFO", format=chosen), terminal, monkeypatch)
    assert len(lines) == 2, lines
    if as_json:
        events = [json.loads(line) for line in lines]
        assert [event["event"] for event in events] == [
            "from the standard library",
            "from structlog",
        ]
        assert events[1]["rows"] == 3
    else:
        assert re.search(r"\[info\s*\] from the standard library\s+\[laneway\.test\]", lines[0])
        assert re.search(r"\[info\s*\] from structlog\s+\[laneway\.test\] rows=3", lines[1])


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("LANEWAY_LOG_FORMAT", "console", LogFormat.console),
        ("LANEWAY_LOG_FORMAT", "json", LogFormat.json),
        ("LANEWAY_LOG_JSON", "false", LogFormat.console),  # the older switch still works
        ("LANEWAY_LOG_JSON", "true", LogFormat.json),
    ],
)
def test_the_format_is_read_from_the_environment(
    variable: str, value: str, expected: LogFormat, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LANEWAY_LOG_FORMAT", raising=False)
    monkeypatch.delenv("LANEWAY_LOG_JSON", raising=False)
    assert LogSettings().format is LogFormat.auto
    monkeypatch.setenv(variable, value)
    assert LogSettings().format is expected
