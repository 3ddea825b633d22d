"""Nothing secret reaches the logs: a real server at DEBUG (SQL echo on), driven through
every flow that handles a password, a token, a ticket or a key, then its whole output is
searched for each planted secret; and the secrets the database keeps (the instance key made
on first start, password hashes, webhook secrets) are never logged with the statements that
write or read them."""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import select
from websockets.asyncio.client import connect

from laneway.app import create_app
from laneway.config import LogSettings, WebhookSettings
from laneway.models import InstanceSecret, User, Webhook
from laneway.realtime.client import live_url
from laneway.state import AppState
from tests.conftest import make_settings
from tests.realtime.conftest import start_server, stop_server
from tests.support import API, Api

PASSWORD = "planted-password-" + secrets.token_hex(8)
NEW_PASSWORD = "planted-new-password-" + secrets.token_hex(8)
WRONG_PASSWORD = "planted-wrong-password-" + secrets.token_hex(8)
SECRET_KEY = "planted-secret-key-" + secrets.token_hex(24)
METRICS_TOKEN = "planted-metrics-token-" + secrets.token_hex(8)


@pytest.mark.system
async def test_planted_secrets_never_appear_in_the_logs(database_url: str, tmp_path: Path) -> None:
    log_path = tmp_path / "server.log"
    log_file = log_path.open("w")
    process, base = start_server(
        database_url,
        log=log_file,
        LANEWAY_DATA_DIR=str(tmp_path),
        LANEWAY_LOG_LEVEL="DEBUG",
        LANEWAY_DATABASE_ECHO="true",
        LANEWAY_SECRET_KEY=SECRET_KEY,
        LANEWAY_METRICS_TOKEN=METRICS_TOKEN,
    )
    planted = [PASSWORD, NEW_PASSWORD, WRONG_PASSWORD, SECRET_KEY, METRICS_TOKEN]
    try:
        async with httpx.AsyncClient(base_url=f"{base}{API}", timeout=30) as http:
            email = "planted@example.com"
            register = {"email": email, "password": PASSWORD, "name": "Planted"}
            assert (await http.post("/auth/register", json=register)).status_code == 201
            wrong = {"email": email, "password": WRONG_PASSWORD}
            assert (await http.post("/auth/login", json=wrong)).status_code == 401
            too_short = {"email": "x@example.com", "password": "short", "name": "X"}
            assert (await http.post("/auth/register", json=too_short)).status_code == 422
            login = await http.post("/auth/login", json={"email": email, "password": PASSWORD})
            session = login.json()["token"]
            signed_in = {"Authorization": f"Bearer {session}"}
            personal = await http.post("/me/tokens", json={"name": "ci"}, headers=signed_in)
            assert personal.status_code == 201
            api_token = personal.json()["token"]
            invitation = await http.post(
                "/invitations", json={"email": "friend@example.com"}, headers=signed_in
            )
            project = await http.post("/projects", json={"name": "Secret"}, headers=signed_in)
            project_id = project.json()["id"]
            ticket = (
                await http.post(f"/projects/{project_id}/live/ticket", headers=signed_in)
            ).json()["ticket"]
            url = live_url(base, project_id, None) + f"?ticket={ticket}"
            async with connect(url, open_timeout=10, origin=base) as socket:  # type: ignore[arg-type]
                await asyncio.wait_for(socket.recv(), 10)
            # a bad token and a bad ticket are logged as refusals, without their values
            bad_token = "lws_planted_" + secrets.token_hex(16)
            refused = await http.get("/me", headers={"Authorization": f"Bearer {bad_token}"})
            assert refused.status_code == 401
            change = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
            changed = await http.post("/me/password", json=change, headers=signed_in)
            assert changed.status_code in (200, 204)
            scraped = await http.get(
                f"{base}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
            )
            assert scraped.status_code == 200
        planted += [session, api_token, ticket, bad_token]
        if invitation.status_code == 201:
            planted.append(invitation.json()["code"])
    finally:
        stop_server(process, base)
        log_file.close()
    logs = log_path.read_text()
    assert "request" in logs  # the access log was on: there was something to search
    assert "SELECT" in logs  # and so was the SQL echo
    for secret in planted:
        assert secret not in logs, f"a planted secret was logged: {secret[:12]}..."


async def test_stored_secrets_never_appear_in_debug_logs(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings(
        database_url,
        tmp_path,
        log=LogSettings(level="DEBUG"),
        webhook=WebhookSettings(allowed_networks="127.0.0.0/8"),
    )
    assert settings.secret_key is None  # the instance key is made and stored at start
    app = create_app(settings)
    async with LifespanManager(app):
        state: AppState = app.state.laneway
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            api = Api(client)
            owner = await api.user("keeper")
            pid = (await api.project(owner))["id"]
            hook = {"url": "http://127.0.0.1:9/hook", "events": ["*"]}
            made = await api.request("POST", f"/projects/{pid}/webhooks", owner, json=hook)
            assert made.status_code == 201, made.text
            rotate = {"rotate_secret": True}
            path = f"/webhooks/{made.json()['id']}"
            assert (await api.request("PATCH", path, owner, json=rotate)).status_code == 200
            await api.request("GET", f"/projects/{pid}/webhooks", owner)
        async with state.database.transaction(write=False) as session:
            root = await session.scalar(select(InstanceSecret.value))
            password_hash = await session.scalar(
                select(User.password_hash).where(User.id == owner.id)
            )
            webhook = (await session.scalars(select(Webhook))).one()
    logs = capsys.readouterr().err
    assert '"level": "debug"' in logs  # DEBUG was on: there was something to search
    stored = {
        "the instance key": root,
        "a password hash": password_hash,
        "a webhook secret": webhook.secret,
        "a rotated-out webhook secret": webhook.previous_secret,
    }
    for what, secret in stored.items():
        assert secret, what
        assert secret not in logs, f"{what} was logged"
