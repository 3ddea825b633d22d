"""The `laneway` command on the embedded default, including a real `serve` process."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from laneway import __version__
from laneway.app import create_app
from laneway.cli import app
from laneway.demo import DEMO_EMAIL, DEMO_PASSWORD

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("LANEWAY_DATABASE_URL", raising=False)
    monkeypatch.setenv("LANEWAY_DATA_DIR", str(tmp_path))
    # cheap hashing keeps the suite fast; production keeps argon2's recommended cost
    monkeypatch.setenv("LANEWAY_AUTH_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("LANEWAY_AUTH_ARGON2_MEMORY_KIB", "8")
    monkeypatch.setenv("LANEWAY_AUTH_ARGON2_PARALLELISM", "1")
    return tmp_path


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"laneway {__version__}"


def test_openapi_prints_the_document_the_app_serves(data_dir: Path) -> None:
    result = runner.invoke(app, ["openapi"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == create_app().openapi()


def test_migrate_upgrade_current_downgrade(data_dir: Path) -> None:
    missing = runner.invoke(app, ["migrate", "current"])
    assert missing.exit_code == 1
    assert missing.output.startswith(f"error: no database at {data_dir / 'laneway.db'} ")
    upgraded = runner.invoke(app, ["migrate", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert (data_dir / "laneway.db").exists()
    current = runner.invoke(app, ["migrate", "current"]).stdout
    assert current.split()[1] == current.split()[3]  # current == head
    downgraded = runner.invoke(app, ["migrate", "downgrade", "base", "--yes"])
    assert downgraded.exit_code == 0, downgraded.output
    assert runner.invoke(app, ["migrate", "current"]).stdout.startswith("current: None")


def test_demo_is_idempotent_and_create_user(data_dir: Path) -> None:
    assert runner.invoke(app, ["migrate", "upgrade"]).exit_code == 0
    first = runner.invoke(app, ["demo", "--tasks", "30"])
    assert first.exit_code == 0, first.output
    assert "demo data loaded" in first.output
    again = runner.invoke(app, ["demo", "--tasks", "30"])
    assert again.output == f"demo data already there: log in as {DEMO_EMAIL} / {DEMO_PASSWORD}\n"

    created = runner.invoke(
        app,
        ["create-user", "--email", "ops@example.com", "--name", "Ops", "--password", "s3cret-pass"],
    )
    assert created.exit_code == 0, created.output
    duplicate = runner.invoke(
        app,
        ["create-user", "--email", "ops@example.com", "--name", "Ops", "--password", "s3cret-pass"],
    )
    assert duplicate.exit_code == 1
    assert duplicate.output.strip().splitlines() == [
        "error: An account with this email already exists."
    ]
    short = runner.invoke(
        app, ["create-user", "--email", "x@example.com", "--name", "X", "--password", "short"]
    )
    assert short.exit_code != 0


def _sign_in(api: str, email: str, password: str) -> httpx.Response:
    return httpx.post(f"{api}/auth/login", json={"email": email, "password": password}, timeout=10)


def _refused_within_the_cache_bound(url: str, token: str) -> float:
    """How long the server kept accepting a token the CLI ended: its per-process cache may
    answer from a copy up to LANEWAY_CACHE_SECONDS (1 s) old, never longer."""
    started = time.monotonic()
    while time.monotonic() - started < 3:
        if httpx.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 401:
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError("the ended token still worked 3 s later")


@pytest.mark.system
def test_operators_reset_deactivate_and_invite(data_dir: Path) -> None:
    assert runner.invoke(app, ["migrate", "upgrade"]).exit_code == 0
    email = "ops@example.com"
    runner.invoke(app, ["create-user", "--email", email, "--name", "O", "--password", "first-pass"])
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api/v1"
    process = subprocess.Popen(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "laneway", "serve", "--port", str(port)],
        env={**os.environ, "LANEWAY_REGISTRATION": "invite", "LANEWAY_LOG_LEVEL": "WARNING"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_ready(f"http://127.0.0.1:{port}", process)
        token = _sign_in(api, email, "first-pass").json()["token"]
        me = {"Authorization": f"Bearer {token}"}
        assert httpx.get(f"{api}/me", headers=me).status_code == 200

        reset = runner.invoke(
            app, ["reset-password", "--email", email, "--password", "second-pass"]
        )
        assert reset.exit_code == 0, reset.output
        assert _refused_within_the_cache_bound(f"{api}/me", token) <= 1.5  # its sessions ended
        token = _sign_in(api, email, "second-pass").json()["token"]

        deactivated = runner.invoke(app, ["deactivate-user", "--email", email])
        assert deactivated.exit_code == 0, deactivated.output
        assert _refused_within_the_cache_bound(f"{api}/me", token) <= 1.5
        assert _sign_in(api, email, "second-pass").status_code == 401
        assert runner.invoke(app, ["activate-user", "--email", email]).exit_code == 0
        assert _sign_in(api, email, "second-pass").status_code == 200

        invited = runner.invoke(app, ["invite", "--email", "new@example.com"])
        assert invited.exit_code == 0, invited.output
        code = invited.stdout.strip().splitlines()[-1]
        body = {"email": "new@example.com", "password": "a long password", "name": "New"}
        assert httpx.post(f"{api}/auth/register", json=body).status_code == 403
        registered = httpx.post(f"{api}/auth/register", json={**body, "invitation": code})
        assert registered.status_code == 201, registered.text
    finally:
        process.terminate()
        process.communicate(timeout=15)

    unknown = runner.invoke(app, ["deactivate-user", "--email", "nobody@example.com"])
    assert unknown.exit_code == 1
    assert unknown.output.strip() == "error: No account uses nobody@example.com."


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_ready(base: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60  # the demo board takes a while on a busy machine
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{base}/health/ready", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    pytest.fail(f"server did not become ready:\n{process.communicate()[0]}")


def _exercise(api: str) -> None:
    with httpx.Client(timeout=10) as http:
        demo = http.post(f"{api}/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
        assert demo.status_code == 200, demo.text
        projects = http.get(
            f"{api}/projects", headers={"Authorization": f"Bearer {demo.json()['token']}"}
        ).json()
        assert [p["key"] for p in projects] == ["DEMO"]

        registered = http.post(
            f"{api}/auth/register",
            json={"email": "new@example.com", "password": "a long password", "name": "New"},
        )
        assert registered.status_code == 201
        token = http.post(
            f"{api}/auth/login", json={"email": "new@example.com", "password": "a long password"}
        ).json()["token"]
        created = http.post(
            f"{api}/projects", json={"name": "Launch"}, headers={"Authorization": f"Bearer {token}"}
        )
        assert created.status_code == 201
        assert created.json()["key"] == "LAUN"


@pytest.mark.system
def test_serve_embedded_default_with_demo(data_dir: Path) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(  # noqa: S603 - our own CLI with fixed arguments
        [sys.executable, "-m", "laneway", "serve", "--demo", "--port", str(port)],
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_ready(base, process)
        _exercise(f"{base}/api/v1")
    finally:
        process.terminate()
        output = process.communicate(timeout=15)[0]
    assert f"open {base}" in output
    assert f"demo data loaded: log in as {DEMO_EMAIL} / {DEMO_PASSWORD}" in output
    assert "Application shutdown complete" in output, output  # graceful stop on SIGTERM
    started = next(line for line in output.splitlines() if "Application startup" in line)
    assert json.loads(started)["event"] == "Application startup complete."  # a pipe: JSON
    assert (data_dir / "laneway.db").exists()
