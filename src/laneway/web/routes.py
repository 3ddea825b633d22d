"""Serve the built web app: hashed assets cached for good, the page itself never cached."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

DIST = Path(__file__).parent / "dist"

# Inline style attributes carry layout (virtualized rows), hence 'unsafe-inline' for styles only.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'"
)
# nosniff and X-Frame-Options come with every response (kit/security_headers.py)
PAGE_HEADERS = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "same-origin",
}


class Assets(StaticFiles):
    """File names carry a content hash, so a browser may keep them for a year."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


def install(app: FastAPI) -> None:
    index = DIST / "index.html"
    if not index.is_file():  # a source checkout that was never built: the API still works
        return
    page = index.read_bytes()
    router = APIRouter(include_in_schema=False)

    async def app_page() -> HTMLResponse:
        return HTMLResponse(page, headers=PAGE_HEADERS)

    # The client-side routes (web/src/route.ts); anything else stays a 404 problem.
    pages = ("/", "/login", "/register", "/inbox", "/my-work")
    projects = ("/p/{project_id:int}", "/p/{project_id:int}/settings", "/p/{project_id:int}/list")
    for path in (*pages, *projects):
        router.add_api_route(path, app_page, methods=["GET", "HEAD"])
    app.include_router(router)
    app.mount("/assets", Assets(directory=DIST / "assets"), name="assets")
