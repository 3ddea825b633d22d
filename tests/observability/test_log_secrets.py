"""Nothing secret reaches the logs: a real server at DEBUG (SQL echo on), driven through
every flow that handles a password, a token, a ticket or a key, then its whole output is
searched for each planted secret."""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path

import httpx
from websockets.asyncio.client import connect

from laneway.realtime.client import live_url
from tests.realtime.conftest import start_server, stop_server
from tests.support import API

PASSWORD = "planted-password-" + secrets.token_hex(8)
NEW_PASSWORD = "planted-new-password-" + secrets.token_hex(8)
WRONG_PASSWORD = "planted-wrong-password-" + secrets.token_hex(8)
SECRET_KEY = "planted-secret-key-" + secrets.token_hex(24)
METRICS_TOKEN = "planted-metrics-token-" + secrets.token_hex(8)


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
