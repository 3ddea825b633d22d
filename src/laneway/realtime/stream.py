"""One viewer's stream: every event after its `after`, in order, each once.

It subscribes first, then catches up from the recent ring (or, when the ring cannot prove it
holds every event needed, from the log), then follows its subscription, filling any gap the
same way. While it waits with nothing queued, the hub writes each next event straight to the
socket (direct.py); the first one the socket cannot take at once, or one after a gap, goes to
the queue and wakes the stream's task, which sends it and everything queued behind it. No
database session stays open between messages.
"""

from __future__ import annotations

import anyio
from fastapi import WebSocket

from laneway.activity import repository as activity_repository
from laneway.db import Database
from laneway.realtime import wire
from laneway.realtime.direct import DirectSocket
from laneway.realtime.hub import Hub, Subscription
from laneway.realtime.recent import Ring
from laneway.realtime.wire import Published

PAGE = 500


async def log_after(
    hub: Hub, database: Database, project_id: int, after: int, upto: int | None
) -> list[str]:
    async with hub.log_reads, database.transaction(write=False) as session:
        events = await activity_repository.events_after(
            session, project_id, after, upto=upto, limit=PAGE
        )
        return [wire.message(e).text for e in events]


class Stream:
    def __init__(
        self,
        websocket: WebSocket,
        hub: Hub,
        database: Database,
        project_id: int,
        *,
        after: int,
        latest: int,
        ring: Ring | None,
        socket: DirectSocket | None = None,
    ) -> None:
        """`latest` is the project's last seq read after `ring` (the project's ring then, if
        any) was looked up: that ring then holds every event published here since. `socket`:
        the connection reached directly, if it can be (else every event takes the queue)."""
        self.websocket, self.hub, self.database = websocket, hub, database
        self.socket = socket
        self.project_id = project_id
        self.last, self.latest, self.ring = after, latest, ring

    def _recent(self, upto: int | None) -> list[str] | None:
        ring = self.hub.recent.ring(self.project_id)
        if ring is None:
            return None
        if upto is None:  # to the end: only a ring older than `latest` knows where that is
            if ring is not self.ring:
                return None
            upto = max(self.latest, ring.newest)
        events = ring.between(self.last, upto)
        return None if events is None else [event.text for event in events]

    async def catch_up(self, upto: int | None = None) -> None:
        """Send every event from the last sent one up to `upto` (or the end)."""
        while True:
            recent = self._recent(upto)
            if recent is not None:
                await self._send(recent)
                return
            # never cancel a read half-way: the pooled connection would be thrown away
            with anyio.CancelScope(shield=True):
                page = await log_after(self.hub, self.database, self.project_id, self.last, upto)
            await self._send(page)
            if len(page) < PAGE:
                return

    async def _send(self, texts: list[str]) -> None:
        for text in texts:
            await self.websocket.send_text(text)
            self.last += 1

    def _write_now(self, event: Published, frame: bytes) -> bool:
        """The hub's call while this stream waits on an empty queue: the next event (or a
        presence message) goes straight to the socket if it takes it now. False leaves the
        event to the queue: the socket is busy, or a gap must first be filled from the log."""
        seq = event.seq
        if seq > self.last + 1 or self.socket is None:
            return False
        if 0 < seq <= self.last:
            return True  # already sent
        if not self.socket.write(frame):
            return False
        if seq:
            self.last = seq
        return True

    async def follow(self, subscription: Subscription) -> None:
        queue = subscription.queue
        while True:
            if self.socket is not None and queue.empty():
                subscription.write_now = self._write_now  # until a write is refused
            batch = [await queue.get()]
            subscription.write_now = None
            while not queue.empty():  # whatever queued meanwhile goes out back to back
                batch.append(queue.get_nowait())
            for event in batch:
                if subscription.closed.is_set():  # revoked or removed: nothing more goes out
                    return
                if event.seq == 0:  # presence: not part of the log
                    await self.websocket.send_text(event.text)
                    continue
                if event.seq <= self.last:
                    continue  # already sent
                if event.seq > self.last + 1:  # a gap (a lost or late message)
                    await self.catch_up(event.seq - 1)
                await self.websocket.send_text(event.text)
                self.last = event.seq
