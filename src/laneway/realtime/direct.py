"""Writing a live message straight to a viewer's connection, from the hub, with no task wakeup.

An event is framed once (wire.frame) and the same bytes go to every viewer whose connection
takes them at once; a viewer whose connection is busy (its transport paused above the high-water
mark) or whose stream is catching up gets the event through its queue and task instead, and is
shed with RESUME when that queue overflows, as before (stream.py, hub.py).

ASGI offers no way to reach the connection, so this reaches uvicorn's: `KeepRawSend`, the
outermost middleware, keeps the server's own `send` in a live socket's scope, and
`DirectSocket.of` finds behind it the WebSocket protocol `laneway serve` runs (uvicorn's
sans-I/O one over `websockets`). Under any other server, or with a compression extension agreed
(the frame would have to be compressed per socket), it returns None and every event takes the
queue: slower, never wrong.
"""

from __future__ import annotations

import socket

from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

RAW_SEND = "laneway.raw_send"


class KeepRawSend:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            scope[RAW_SEND] = send
        await self.app(scope, receive, send)


class DirectSocket:
    __slots__ = ("_protocol", "_transport", "_writable")

    def __init__(self, protocol: WebSocketsSansIOProtocol) -> None:
        self._protocol = protocol
        self._transport = protocol.transport
        self._writable = protocol.writable  # cleared while the transport's buffer is full

    @classmethod
    def of(cls, websocket: WebSocket, send_buffer: int) -> DirectSocket | None:
        """The accepted socket's connection, its kernel send buffer set to `send_buffer` bytes
        (the mark past which a viewer that stopped reading gets its events queued)."""
        protocol = getattr(websocket.scope.get(RAW_SEND), "__self__", None)
        if not isinstance(protocol, WebSocketsSansIOProtocol) or protocol.conn.extensions:
            return None
        sock = protocol.transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)
        return cls(protocol)

    def write(self, frame: bytes) -> bool:
        """Write `frame` now if the connection takes it without waiting; False if it is busy,
        closing or closed (the caller queues the message, and the stream's task sends it)."""
        protocol, transport = self._protocol, self._transport
        if (
            not self._writable.is_set()
            or protocol.close_sent
            or protocol.disconnected
            or transport.is_closing()
        ):
            return False
        try:
            transport.write(frame)
        except (OSError, RuntimeError):  # lost between the check and the write
            return False
        return True
