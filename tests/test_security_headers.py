"""Security headers on every response, the board page's policy, and /docs from packaged assets."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from laneway.app import create_app
from laneway.kit.security_headers import API_CSP
from laneway.web.routes import DIST
from tests.conftest import make_settings
from tests.support import API, Api

MAX_BODY = 1024 * 1024


def assert_secured(response: httpx.Response, csp: str | None = API_CSP) -> None:
    what = f"{response.request.method} {response.request.url.path} -> {response.status_code}"
    headers = response.headers
    assert headers.get_list("x-content-type-options") == ["nosniff"], what
    assert headers.get_list("x-frame-options") == ["DENY"], what
    assert len(headers.get_list("referrer-policy")) == 1, what
    assert len(headers.get_list("content-security-policy")) == 1, what
    if csp is not None:
        assert headers["content-security-policy"] == csp, what


async def test_every_kind_of_response_carries_the_headers(api: Api) -> None:
    owner = await api.user()
    board_asset = re.search(r'src="(/assets/[^"]+\.js)"', (DIST / "index.html").read_text())
    assert board_asset is not None

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"name": "x", "description": "'
        for _ in range(MAX_BODY // 1024 + 10):
            yield b"a" * 1024
        yield b'"}'

    client = api.client
    responses = [
        (await api.request("GET", "/me", owner), 200),
        (await api.request("GET", "/projects"), 401),
        (await api.request("POST", "/projects", owner, json={"name": 5}), 422),
        (await client.get("/no/such/route"), 404),
        (await client.delete("/health/live"), 405),
        (await client.post(f"{API}/projects", content=b"x" * (MAX_BODY + 1)), 413),
        (await client.post(f"{API}/projects", content=chunks(), headers=owner.headers), 413),
        (await client.get("/health/live"), 200),
        (await client.get("/health/ready"), 200),
        (await client.get("/openapi.json"), 200),
        (await client.get("/docs/assets/swagger-ui-bundle.js"), 200),
        (await client.get(board_asset[1]), 200),
    ]
    for response, status in responses:
        assert response.status_code == status, (response.request.url, response.text)
        assert_secured(response)


async def test_an_unexpected_error_carries_the_headers(database_url: str, tmp_path: Path) -> None:
    app = create_app(make_settings(database_url, tmp_path))

    async def boom() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/boom", boom)
    async with LifespanManager(app):
        # Starlette answers a bug from outside every middleware, and then raises it again
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.get("/boom")
    assert response.status_code == 500
    assert response.json()["status"] == 500
    assert_secured(response)


async def test_the_board_page_keeps_its_own_policy(api: Api) -> None:
    page = await api.client.get("/")
    assert page.status_code == 200
    assert_secured(page, csp=None)
    policy = page.headers["content-security-policy"]
    assert "connect-src 'self';" in policy  # its live socket is same-origin, no other
    assert "ws:" not in policy
    assert "frame-ancestors 'none'" in policy
    assert page.headers["referrer-policy"] == "same-origin"


@pytest.mark.parametrize("path", ["/redoc", "/docs/oauth2-redirect"])
async def test_no_other_documentation_page(api: Api, path: str) -> None:
    assert (await api.client.get(path)).status_code == 404


async def test_docs_load_only_same_origin_assets_allowed_by_their_policy(api: Api) -> None:
    docs = await api.client.get("/docs")
    assert docs.status_code == 200
    assert_secured(docs, csp=None)
    html = docs.text
    urls = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert len(urls) == 3, urls  # the script, the style sheet, the icon
    kinds = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}
    for url in urls:
        assert re.match(r"/[^/]", url), url  # same origin
        asset = await api.client.get(url)
        assert asset.status_code == 200, url
        assert asset.headers["content-type"].startswith(kinds[Path(url).suffix]), url
        assert_secured(asset)
    assert "url: '/openapi.json'" in html

    policy = docs.headers["content-security-policy"]
    inline = re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
    assert len(inline) == 1
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    assert f"script-src 'self' 'sha256-{digest}';" in policy
    assert "unsafe" not in policy
    assert "frame-ancestors 'none'" in policy
