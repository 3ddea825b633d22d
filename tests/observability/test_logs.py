from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from laneway.app import create_app
from laneway.config import LogSettings
from tests.conftest import make_settings
from tests.support import API, Api


async def test_request_id_is_kept_when_valid_and_made_when_not(api: Api) -> None:
    valid = "0d3c2f4e-9a1b-4c5d-8e7f-6a5b4c3d2e1f"
    kept = await api.request("GET", "/me", headers={"X-Request-ID": valid})
    assert kept.headers["x-request-id"] == valid
    replaced = await api.request("GET", "/me", headers={"X-Request-ID": "<script>"})
    assert replaced.headers["x-request-id"] not in ("", "<script>")
    made = await api.request("GET", "/me")
    assert len(made.headers["x-request-id"]) >= 32


async def test_access_log_is_json_with_request_and_user(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings(database_url, tmp_path, log=LogSettings(level="INFO"))
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            user = await Api(client).user("logged")
            capsys.readouterr()
            response = await client.get(f"{API}/me", headers=user.headers)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    access = [line for line in lines if line.get("logger") == "laneway.access"]
    assert access, lines
    assert access[-1]["path"] == f"{API}/me"
    assert access[-1]["status"] == 200
    assert access[-1]["request_id"] == response.headers["x-request-id"]
    assert access[-1]["user_id"] == user.id


async def test_openapi_documents_the_api(api: Api) -> None:
    document = (await api.client.get("/openapi.json")).json()
    paths = document["paths"]
    for path in (
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/auth/logout",
        "/api/v1/me",
        "/api/v1/me/tokens",
        "/api/v1/me/tokens/{token_id}",
        "/api/v1/projects",
        "/api/v1/projects/{project_id}",
        "/api/v1/projects/{project_id}/members",
        "/api/v1/projects/{project_id}/members/{user_id}",
    ):
        assert path in paths, path
    # every authenticated operation documents its 401 as problem+json
    for path, operations in paths.items():
        for method, operation in operations.items():
            if (
                path.startswith("/api/v1/auth/")
                and method == "post"
                and path != "/api/v1/auth/logout"
            ):
                continue
            if path.startswith("/api/v1/") and path != "/api/v1/unsubscribe":  # a signed link
                assert "401" in operation["responses"], (method, path)
    assert (await api.client.get("/docs")).status_code == 200


async def test_ready_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    # Port 1 on loopback: nothing listens, the connection is refused at once.
    settings = make_settings("postgresql+asyncpg://postgres@127.0.0.1:1/none", tmp_path)
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            ready = await client.get("/health/ready")
            assert ready.status_code == 503
            assert ready.headers["retry-after"]
            assert (await client.get("/health/live")).status_code == 200
            me = await client.get(f"{API}/me", headers={"Authorization": "Bearer lws_x"})
            assert me.status_code == 503
            assert me.headers["retry-after"]
