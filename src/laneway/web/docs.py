"""The API documentation at /docs: Swagger UI from assets installed with the server, no CDN.

The assets come from the `fastapi-offline` package (Swagger UI 5, which reads OpenAPI 3.1).
The page's one inline script is allowed by its hash, so nothing else may run on it.
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

DOCS_URL = "/docs"
ASSETS_URL = "/docs/assets"
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def _csp(page: bytes) -> str:
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"
        for script in _INLINE_SCRIPT.findall(page)
    )
    return (
        f"default-src 'none'; script-src 'self' {hashes}; style-src 'self'; "
        "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
        "base-uri 'none'; form-action 'none'"
    )


def install(app: FastAPI) -> None:
    """Call with FastAPI(docs_url=None, redoc_url=None): this page replaces the CDN one."""
    if app.openapi_url is None:
        raise ValueError("The documentation page needs the OpenAPI document.")
    page = bytes(
        get_swagger_ui_html(
            openapi_url=app.openapi_url,
            title=f"{app.title} API",
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
            # no request to the public validator service with our document's URL
            swagger_ui_parameters={"validatorUrl": None},
        ).body
    )
    headers = {"Content-Security-Policy": _csp(page), "Cache-Control": "no-cache"}

    async def docs() -> HTMLResponse:
        return HTMLResponse(page, headers=headers)

    app.add_api_route(DOCS_URL, docs, methods=["GET", "HEAD"], include_in_schema=False)
    app.mount(ASSETS_URL, StaticFiles(packages=[("fastapi_offline", "static")]), name="docs")
