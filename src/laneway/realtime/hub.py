"""Fan-out to this process's live viewers, with a bounded queue per viewer.

A viewer that cannot keep up is disconnected with a close code that tells it to resume from
its last event; nothing it missed is lost, since the event log has it.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable

import structlog

from laneway.realtime.wire import Published

log = structlog.get_logger("laneway.live")

# WebSocket close codes (4000-4999 are the application's)
RESUME = 4008  # too slow: reconnect with ?after=<last seq>
REVOKED = 4001  # the token was revoked: sign in again
REMOVED = 4003  # no longer a member, or the project was archived
RELOAD = 4009  # too far behind: reload the board, then follow from its seq


class Subscription:
    def __init__(self, project_id: int, user_id: int, token_id: int, maxsize: int) -> None:
        self.project_id, self.user_id, self.token_id = project_id, user_id, token_id
        self.queue: asyncio.Queue[Published] = asyncio.Queue(maxsize)
        self.closed = asyncio.Event()
        self.close_code = 1000
        self.close_reason = ""

    def offer(self, event: Published) -> None:
        if self.closed.is_set():
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.close(RESUME, "too slow; reconnect with ?after=<last seq>")

    def close(self, code: int, reason: str) -> None:
        if not self.closed.is_set():
            self.close_code, self.close_reason = code, reason
            self.closed.set()


class Hub:
    def __init__(self, queue_size: int) -> None:
        self.queue_size = queue_size
        self._by_project: dict[int, set[Subscription]] = defaultdict(set)
        self._last_seq: dict[int, int] = {}  # the newest event delivered, per watched project
        self.dropped = 0  # viewers disconnected for being slow

    def subscribe(self, project_id: int, user_id: int, token_id: int, seen: int) -> Subscription:
        subscription = Subscription(project_id, user_id, token_id, self.queue_size)
        self._by_project[project_id].add(subscription)
        self._last_seq[project_id] = max(self._last_seq.get(project_id, 0), seen)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        viewers = self._by_project.get(subscription.project_id)
        if viewers is not None:
            viewers.discard(subscription)
            if not viewers:
                del self._by_project[subscription.project_id]
                self._last_seq.pop(subscription.project_id, None)

    def viewers(self, project_id: int) -> int:
        return len(self._by_project.get(project_id, ()))

    def watched(self) -> dict[int, int]:
        """Projects with viewers here, and the newest event delivered to them."""
        return {p: self._last_seq.get(p, 0) for p in self._by_project}

    def resume_all(self) -> None:
        for viewers in self._by_project.values():
            for viewer in viewers:
                viewer.close(RESUME, "live delivery interrupted; reconnect with ?after=<last seq>")

    def publish(self, events: Iterable[Published]) -> None:
        for event in events:
            viewers = list(self._by_project.get(event.project_id, ()))
            if viewers and event.seq > self._last_seq.get(event.project_id, 0):
                self._last_seq[event.project_id] = event.seq
            for viewer in viewers:
                was_open = not viewer.closed.is_set()
                viewer.offer(event)
                if was_open and viewer.close_code == RESUME:
                    self.dropped += 1
            if event.type == "member.removed":
                for viewer in viewers:
                    if viewer.user_id == event.subject_id:
                        viewer.close(REMOVED, "no longer a member of this project")
            elif event.type == "project.archived":
                for viewer in viewers:
                    viewer.close(REMOVED, "the project was archived")

    def revoke_tokens(self, token_ids: Iterable[int]) -> None:
        revoked = set(token_ids)
        for viewers in self._by_project.values():
            for viewer in viewers:
                if viewer.token_id in revoked:
                    viewer.close(REVOKED, "the token was revoked")
