"""Refuse request bodies over a size limit before anything parses them."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from laneway.errors import PayloadTooLarge
from laneway.exception_handlers import error_response


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        # More digits than the limit has is over it (and int() refuses past 4,300 digits).
        if declared is not None and (
            not declared.isdigit()
            or len(declared) > len(str(self.max_bytes))
            or int(declared) > self.max_bytes
        ):
            await error_response(PayloadTooLarge(self._detail()))(scope, receive, send)
            return

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # Raised inside body parsing: an HTTPException is passed through as is.
                    raise HTTPException(413, self._detail())
            return message

        await self.app(scope, limited_receive, send)

    def _detail(self) -> str:
        return f"The request body exceeds the limit of {self.max_bytes} bytes."
