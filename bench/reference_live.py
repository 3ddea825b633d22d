"""`ref-fanout`: the least a uvicorn/Starlette server can do to broadcast Laneway's messages.

Viewers open `/live` (no auth, no log, no resume); `POST /live/publish` numbers a change and
publishes a real Laneway event message (the bytes the bench captured from Laneway, with this
seq and the current time) on one Redis channel, in one Lua script so messages leave in seq
order; every worker writes each message it hears to each of its sockets in turn, in one task.
Between workers this is the path Laneway takes too (one serialization, Redis pub/sub), so the
gap between the two is Laneway's own cost: auth, the per-viewer queue and task, ordering,
resumes.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path

import orjson
from redis.asyncio import Redis
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

PUBLISH = """
local seq = redis.call('INCR', KEYS[1])
redis.call('PUBLISH', KEYS[2], ARGV[1] .. seq .. ARGV[2])
return seq
"""


class Broadcast:
    def __init__(self, template: Path, redis_url: str, channel: str) -> None:
        self.channel, self.seq_key = channel, f"{channel}:seq"
        self.sample = orjson.loads(template.read_bytes())
        self.redis = Redis.from_url(redis_url)
        self.sockets: set[WebSocket] = set()
        self._listener: asyncio.Task[None] | None = None

    async def start(self) -> None:
        pubsub = self.redis.pubsub()
        await pubsub.subscribe(self.channel)  # before the first publish can be answered
        self._listener = asyncio.create_task(self._listen(pubsub))

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with suppress(asyncio.CancelledError):
                await self._listener
        await self.redis.aclose()

    async def _listen(self, pubsub: object) -> None:
        async for message in pubsub.listen():  # type: ignore[attr-defined]
            if message["type"] != "message":
                continue
            text = message["data"].decode()
            for socket in list(self.sockets):
                try:
                    await socket.send_text(text)
                except (WebSocketDisconnect, RuntimeError, OSError):
                    self.sockets.discard(socket)

    async def live(self, websocket: WebSocket) -> None:
        await websocket.accept()
        self.sockets.add(websocket)
        try:
            while (await websocket.receive())["type"] != "websocket.disconnect":
                pass
        finally:
            self.sockets.discard(websocket)

    async def publish(self, _request: Request) -> JSONResponse:
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        rest = orjson.dumps({**self.sample, "seq": 0, "created_at": now})[len(b'{"seq":0') :]
        # numbered and published in one step, so that messages leave in seq order
        seq = await self.redis.eval(  # type: ignore[misc]
            PUBLISH, 2, self.seq_key, self.channel, b'{"seq":', rest
        )
        return JSONResponse({"seq": int(seq)}, status_code=201)

    async def seq(self, _request: Request) -> JSONResponse:
        return JSONResponse({"seq": int(await self.redis.get(self.seq_key) or 0)})

    def routes(self) -> list[BaseRoute]:
        return [
            WebSocketRoute("/live", self.live),
            Route("/live/publish", self.publish, methods=["POST"]),
            Route("/live/seq", self.seq),
        ]
