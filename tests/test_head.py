"""HEAD answers wherever GET does for the pages, the documentation and the health checks (a
monitor or load balancer asking HEAD / got a 405)."""

from __future__ import annotations

import httpx
import pytest

from laneway.web.routes import DIST

PATHS = ["/docs", "/openapi.json", "/health/live", "/health/ready"]
PAGES = ["/", "/login", "/inbox", "/p/1", "/p/1/settings"]


@pytest.mark.parametrize(
    "path",
    [
        *PATHS,
        *(
            pytest.param(page, marks=pytest.mark.skipif(not DIST.is_dir(), reason="not built"))
            for page in PAGES
        ),
    ],
)
async def test_head_answers_like_get(client: httpx.AsyncClient, path: str) -> None:
    got = await client.get(path)
    head = await client.head(path)
    assert (head.status_code, got.status_code) == (200, 200), head.text
    for header in ("content-type", "content-security-policy", "cache-control"):
        assert head.headers.get(header) == got.headers.get(header), header
    if path != "/health/ready":  # its latencies make each answer's length its own
        assert head.headers["content-length"] == got.headers["content-length"]


async def test_head_is_not_offered_where_get_is_not(client: httpx.AsyncClient) -> None:
    assert (await client.head("/health/nothing")).status_code == 404
    assert (await client.head("/api/v1/auth/login")).status_code == 405
