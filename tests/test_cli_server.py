"""What `laneway serve` says at start: a port in use is one line before anything starts, and a
second `serve --demo` (a second `make run`) says the demo is there, in lines a person reads
on a terminal (tests/observability/test_log_format.py has the other formats)."""

from __future__ import annotations

import os
import pty
import re
import select
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from laneway.cli import app
from laneway.demo import DEMO_EMAIL, DEMO_PASSWORD

runner = CliRunner()
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("LANEWAY_DATABASE_URL", raising=False)
    monkeypatch.delenv("LANEWAY_LOG_FORMAT", raising=False)
    monkeypatch.setenv("LANEWAY_DATA_DIR", str(tmp_path))
    for name, value in (("TIME_COST", "1"), ("MEMORY_KIB", "8"), ("PARALLELISM", "1")):
        monkeypatch.setenv(f"LANEWAY_AUTH_ARGON2_{name}", value)
    return tmp_path


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_a_port_in_use_is_one_line_before_anything_starts(data_dir: Path, taken_port: int) -> None:
    result = runner.invoke(app, ["serve", "--port", str(taken_port)])
    assert result.exit_code == 1
    assert result.output == (
        f"error: port {taken_port} on 127.0.0.1 is already in use (another Laneway, or another "
        "program): stop it, or choose another port with --port or LANEWAY_HTTP_PORT\n"
    )
    assert not (data_dir / "laneway.db").exists()  # nothing was migrated or loaded


@pytest.mark.system
def test_a_metrics_port_in_use_is_refused_too(
    data_dir: Path, taken_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANEWAY_METRICS_PORT", str(taken_port))
    result = runner.invoke(app, ["serve", "--port", str(_free_port())])
    assert result.exit_code == 1
    assert result.output.startswith(f"error: port {taken_port} on 127.0.0.1 is already in use")


def on_terminal(args: list[str], until: str, stop: bool, env: dict[str, str]) -> str:
    """What `args` writes to a terminal (a pseudo-terminal is its stdin, stdout and stderr)
    until `until` appears; then it is stopped (`stop`) or left to end by itself."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(  # noqa: S603 - our own CLI
        args, stdin=terminal, stdout=terminal, stderr=terminal, env=env
    )
    os.close(terminal)
    output = b""
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if until.encode() in output and stop and process.poll() is None:
                process.terminate()
            if not select.select([controller], [], [], 0.5)[0]:
                continue
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the process ended and closed the terminal
                break
            if not chunk:
                break
            output += chunk
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(15)
        os.close(controller)
    text = ANSI.sub("", output.decode(errors="replace"))
    assert until in text, text
    return text


def _line(text: str, event: str) -> str:
    return next(line for line in text.splitlines() if event in line)


def test_a_second_serve_demo_says_the_demo_is_there_in_human_lines(data_dir: Path) -> None:
    seeded = runner.invoke(app, ["demo", "--tasks", "5"])  # the first `make run`, smaller
    assert seeded.exit_code == 0, seeded.output
    port = _free_port()
    text = on_terminal(
        [sys.executable, "-m", "laneway", "serve", "--demo", "--port", str(port)],
        until="Application startup complete",
        stop=True,
        env=dict(os.environ),
    )
    assert f"demo data already there: log in as {DEMO_EMAIL} / {DEMO_PASSWORD}" in text
    assert "/2000" not in text  # no empty bar
    started = _line(text, "Application startup complete")
    assert re.search(r"\[info\s*\] Application startup complete", started), started
    assert not started.lstrip().startswith("{")
