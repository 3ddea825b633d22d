"""Refuse request bodies over a size limit before anything parses them."""

from __future__ import annotations

import re
from collections.abc import Sequence

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from laneway.errors import PayloadTooLarge
from laneway.kit.problems import error_response


class BodyLimitMiddleware:
    def __init__(
        self, app: ASGIApp, max_bytes: int, uploads: Sequence[tuple[str, int]] = ()
    ) -> None:
        """`uploads`: (path pattern, bytes) pairs; a request whose path matches a pattern may
        carry up to that many bytes instead (the first pattern that matches counts)."""
        self.app = app
        self.max_bytes = max_bytes
        self.uploads = [(re.compile(pattern), limit) for pattern, limit in uploads]

    def limit(self, path: str) -> int:
        found = (limit for pattern, limit in self.uploads if pattern.match(path))
        return next(found, self.max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = None
        for name, value in scope["headers"]:
            if name == b"content-length":
                declared = value  # the last one, as a dict of the headers would keep
        # Found by pattern only once there is a body: most requests (GETs) have none.
        limit = -1 if declared is None else self.limit(scope["path"])
        # More digits than the limit has is over it (and int() refuses past 4,300 digits).
        if declared is not None and (
            not declared.isdigit() or len(declared) > len(str(limit)) or int(declared) > limit
        ):
            await error_response(PayloadTooLarge(_detail(limit)))(scope, receive, send)
            return

        received = 0

        async def limited_receive() -> Message:
            nonlocal received, limit
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if limit < 0:
                    limit = self.limit(scope["path"])
                if received > limit:
                    # Raised inside body parsing: an HTTPException is passed through as is.
                    raise HTTPException(413, _detail(limit))
            return message

        await self.app(scope, limited_receive, send)


def _detail(limit: int) -> str:
    return f"The request body exceeds the limit of {limit} bytes."
