"""Fan-out to this process's live viewers: at once to each idle one, else through its queue.

Each event is framed once and written straight to the socket of every viewer that waits with
nothing queued (direct.py, Stream._write_now); any other viewer gets it through its bounded
queue and task. A viewer that cannot keep up is disconnected with a close code that tells it to
resume from its last event; nothing it missed is lost, since the event log has it.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from typing import Annotated

import structlog
from fastapi import Depends
from starlette.requests import HTTPConnection

from laneway.realtime import wire
from laneway.realtime.recent import Recent
from laneway.realtime.wire import Published, control

log = structlog.get_logger("laneway.live")

# WebSocket close codes (4000-4999 are the application's)
RESUME = 4008  # too slow: reconnect with ?after=<last seq>
REVOKED = 4001  # the token was revoked: sign in again
REMOVED = 4003  # no longer a member, or the project was archived
RELOAD = 4009  # too far behind: reload the board, then follow from its seq

# An event that arrives before an earlier one (committed on another replica, still on its way
# through Redis) waits this long for it, so that viewers get them in order without each reading
# the log for the missing one; past it they do (the event may be lost).
HOLD_SECONDS = 1.0
RECENT_EVENTS = 2048  # per project: more than a viewer queue, so a dropped viewer resumes here
RECENT_PROJECTS = 32
LOG_READS = 4  # concurrent database reads for opening and resuming streams, per process


# Given an event and its frame, writes it to the viewer at once and says True, or says False
# and leaves it to the queue (stream.py).
WriteNow = Callable[[Published, bytes], bool]


class Subscription:
    def __init__(self, project_id: int, user_id: int, token_id: int, maxsize: int) -> None:
        self.project_id, self.user_id, self.token_id = project_id, user_id, token_id
        self.queue: asyncio.Queue[Published] = asyncio.Queue(maxsize)
        self.closed = asyncio.Event()
        self.close_code = 1000
        self.close_reason = ""
        # set by the viewer's stream only while it waits on an empty queue: then nothing is
        # ahead of a new event, and it can go out now without waking the stream's task
        self.write_now: WriteNow | None = None

    def offer(self, event: Published, frame: bytes | None = None) -> bool:
        """Hand the viewer an event: True if it went out at once, False if it was queued (or
        the viewer is closed, or closed now for having too much queued)."""
        if self.closed.is_set():
            return False
        write_now = self.write_now
        if write_now is not None:
            if write_now(event, frame if frame is not None else wire.frame(event.text)):
                return True
            self.write_now = None  # from here on, in order, through the queue
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.close(RESUME, "too slow; reconnect with ?after=<last seq>")
        return False

    def close(self, code: int, reason: str) -> None:
        if not self.closed.is_set():
            self.close_code, self.close_reason = code, reason
            self.closed.set()


class Hub:
    def __init__(
        self,
        queue_size: int,
        *,
        recent_events: int = RECENT_EVENTS,
        hold_seconds: float = HOLD_SECONDS,
        log_reads: int = LOG_READS,
    ) -> None:
        self.queue_size, self.hold_seconds = queue_size, hold_seconds
        self.recent = Recent(recent_events, RECENT_PROJECTS)
        # the writers' pool connections outlast any crowd of viewers (re)connecting at once
        self.log_reads = asyncio.Semaphore(log_reads)
        self._held: dict[int, dict[int, Published]] = {}  # per project, by seq
        self._release: dict[int, asyncio.TimerHandle] = {}
        self._by_project: dict[int, set[Subscription]] = defaultdict(set)
        # presence: who watches each project, here and (as last heard) on other replicas
        self._local_people: dict[int, Counter[int]] = defaultdict(Counter)
        self._remote_people: dict[str, dict[int, set[int]]] = defaultdict(dict)
        self.on_presence: Callable[[int, int, bool], None] = lambda _p, _u, _here: None
        # called once per publish that carried events, from whatever source (the inbox's
        # long polls look again: a notification may follow)
        self.on_events: Callable[[], None] = lambda: None
        self._last_seq: dict[int, int] = {}  # the newest event delivered, per watched project
        self._sockets: Counter[int] = Counter()  # open live sockets per user
        self.dropped = 0  # viewers disconnected for being slow
        self.sent = 0  # events handed to viewers
        self.sent_at_once = 0  # of which written straight to the socket, or found sent already

    def claim_socket(self, user_id: int, limit: int) -> bool:
        """Count one more socket for the user, unless they hold `limit` already."""
        if self._sockets[user_id] >= limit:
            return False
        self._sockets[user_id] += 1
        return True

    def sockets(self) -> int:
        return self._sockets.total()

    def release_socket(self, user_id: int) -> None:
        self._sockets[user_id] -= 1
        if self._sockets[user_id] <= 0:
            del self._sockets[user_id]

    def token_ids(self) -> set[int]:
        return {viewer.token_id for viewers in self._by_project.values() for viewer in viewers}

    def subscribe(self, project_id: int, user_id: int, token_id: int, seen: int) -> Subscription:
        subscription = Subscription(project_id, user_id, token_id, self.queue_size)
        people = self._local_people[project_id]
        people[user_id] += 1
        if people[user_id] == 1:  # tell the others before this viewer joins their number
            self.presence_changed(project_id, user_id, here=True)
            self.on_presence(project_id, user_id, True)
        self._by_project[project_id].add(subscription)
        # a newcomer's seq never moves the others' mark past events still on their way
        self._last_seq.setdefault(project_id, seen)
        self.recent.track(project_id)
        subscription.offer(self._presence_list(project_id))
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        subscription.write_now = None
        people = self._local_people.get(subscription.project_id)
        if people is not None and people[subscription.user_id] > 0:
            people[subscription.user_id] -= 1
            if people[subscription.user_id] == 0:
                del people[subscription.user_id]
                self.presence_changed(subscription.project_id, subscription.user_id, here=False)
                self.on_presence(subscription.project_id, subscription.user_id, False)
            if not people:
                del self._local_people[subscription.project_id]
        viewers = self._by_project.get(subscription.project_id)
        if viewers is not None:
            viewers.discard(subscription)
            if not viewers:
                del self._by_project[subscription.project_id]
                self._last_seq.pop(subscription.project_id, None)
                self._held.pop(subscription.project_id, None)
                release = self._release.pop(subscription.project_id, None)
                if release is not None:
                    release.cancel()

    def viewers(self, project_id: int) -> int:
        return len(self._by_project.get(project_id, ()))

    def people(self, project_id: int) -> list[int]:
        here = set(self._local_people.get(project_id, ()))
        for projects in self._remote_people.values():
            here |= projects.get(project_id, set())
        return sorted(here)

    def _presence_list(self, project_id: int) -> Published:
        return Published(
            project_id, 0, "presence", 0, control("presence", viewers=self.people(project_id))
        )

    def presence_changed(self, project_id: int, user_id: int, *, here: bool) -> None:
        """A person started or stopped watching (here or on another replica): tell viewers."""
        message = Published(
            project_id,
            0,
            "presence",
            user_id,
            control("presence", viewers=self.people(project_id), changed=user_id, here=here),
        )
        frame = wire.frame(message.text)
        for viewer in self._by_project.get(project_id, ()):
            viewer.offer(message, frame)

    def remote_presence(self, origin: str, project_id: int, user_id: int, here: bool) -> None:
        people = self._remote_people[origin].setdefault(project_id, set())
        (people.add if here else people.discard)(user_id)
        self.presence_changed(project_id, user_id, here=here)

    def watched(self) -> dict[int, int]:
        """Projects with viewers here, and the newest event delivered to them."""
        return {p: self._last_seq.get(p, 0) for p in self._by_project}

    def resume_all(self) -> None:
        for viewers in self._by_project.values():
            for viewer in viewers:
                viewer.close(RESUME, "live delivery interrupted; reconnect with ?after=<last seq>")

    def publish(self, events: Iterable[Published]) -> None:
        seen = False
        for event in events:
            seen = True
            self.recent.add(event)
            project_id = event.project_id
            if project_id not in self._by_project:
                continue
            if event.seq > self._last_seq.get(project_id, 0) + 1:
                self._hold(event)
                continue
            self._send(event)
            held = self._held.get(project_id)
            while held and (self._last_seq[project_id] + 1) in held:
                self._send(held.pop(self._last_seq[project_id] + 1))
            if held is not None and not held:
                self._release_held(project_id)
        if seen:
            # after this call, never inside it: a listener's failure must not cost delivery
            asyncio.get_running_loop().call_soon(self._events_seen)

    def _events_seen(self) -> None:
        try:
            self.on_events()
        except Exception:
            log.exception("live events listener failed")

    def _hold(self, event: Published) -> None:
        held = self._held.setdefault(event.project_id, {})
        held[event.seq] = event
        if len(held) >= self.queue_size:
            self._release_held(event.project_id)
        elif event.project_id not in self._release:
            self._release[event.project_id] = asyncio.get_running_loop().call_later(
                self.hold_seconds, self._release_held, event.project_id
            )

    def _release_held(self, project_id: int) -> None:
        """Send what waited, in order, gaps and all: each viewer fills a gap from the log."""
        release = self._release.pop(project_id, None)
        if release is not None:
            release.cancel()
        for _seq, event in sorted(self._held.pop(project_id, {}).items()):
            self._send(event)

    def _send(self, event: Published) -> None:
        viewers = list(self._by_project.get(event.project_id, ()))
        if viewers and event.seq > self._last_seq.get(event.project_id, 0):
            self._last_seq[event.project_id] = event.seq
        self.sent += len(viewers)
        # those who lose the project are let go first: the event is not theirs to see
        if event.type == "member.removed":
            for viewer in viewers:
                if viewer.user_id == event.subject_id:
                    viewer.close(REMOVED, "no longer a member of this project")
        elif event.type == "project.archived":
            for viewer in viewers:
                viewer.close(REMOVED, "the project was archived")
        frame = wire.frame(event.text)  # once for every viewer written to at once
        for viewer in viewers:
            was_open = not viewer.closed.is_set()
            if viewer.offer(event, frame):
                self.sent_at_once += 1
            elif was_open and viewer.close_code == RESUME:
                self.dropped += 1

    def revoke_tokens(self, token_ids: Iterable[int]) -> None:
        revoked = set(token_ids)
        for viewers in self._by_project.values():
            for viewer in viewers:
                if viewer.token_id in revoked:
                    viewer.close(REVOKED, "the token was revoked")


async def get_hub(connection: HTTPConnection) -> Hub:
    hub: Hub = connection.app.state.laneway.hub
    return hub


HubDep = Annotated[Hub, Depends(get_hub)]
