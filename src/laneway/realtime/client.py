"""Follow a project's live stream from Python, resuming after every disconnect.

    async for event in follow("http://127.0.0.1:8000", project_id, token):
        ...

Used by the tests and the bench; a small reference for other clients too.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import orjson
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from laneway.realtime.hub import RELOAD, REMOVED, REVOKED


class StreamEnded(Exception):
    """The server ended the stream for good (revoked, removed, or too far behind)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code, self.reason = code, reason


def live_url(base_url: str, project_id: int, after: int | None) -> str:
    url = base_url.replace("http://", "ws://").replace("https://", "wss://").rstrip("/")
    url += f"/api/v1/projects/{project_id}/live"
    return url if after is None else f"{url}?after={after}"


async def follow(
    base_url: str,
    project_id: int,
    token: str,
    after: int | None = None,
    *,
    retry_delay: float = 0.2,
) -> AsyncIterator[dict[str, Any]]:
    """Yield events in order, reconnecting with ?after=<last seq> whenever the socket drops."""
    last = after
    while True:
        try:
            async with connect(
                live_url(base_url, project_id, last),
                additional_headers={"Authorization": f"Bearer {token}"},
                open_timeout=10,
                # No client-side cap: with one, a reader that stops early pauses the socket and
                # then cannot see the server's close frame behind the events still in flight.
                # The server bounds its side per viewer.
                max_queue=None,
                close_timeout=2,
            ) as socket:
                async for raw in socket:
                    message = orjson.loads(raw)
                    if "seq" not in message or message.get("type") == "reload":
                        continue
                    last = message["seq"]
                    yield message
        except ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd else 1006
            if code in (REMOVED, REVOKED, RELOAD):
                raise StreamEnded(code, closed.rcvd.reason if closed.rcvd else "") from None
        except InvalidStatus as refused:
            raise StreamEnded(refused.response.status_code, "refused") from None
        except OSError:
            pass  # the server is restarting: try again
        await asyncio.sleep(retry_delay)
