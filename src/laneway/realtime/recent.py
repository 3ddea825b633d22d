"""The last events this process published, per project, to resume viewers without the log.

When a thousand viewers reconnect at once (a restart, a slow spell), each would otherwise read
the event log through the pool the writers need. A ring answers a resume only when it holds
every event the viewer needs; otherwise the log does, as before.
"""

from __future__ import annotations

from collections import OrderedDict

from laneway.realtime.wire import Published


class Ring:
    """One project's recent events by seq; they may arrive out of order (other replicas)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._events: dict[int, Published] = {}
        self.newest = 0
        self._oldest = 0  # no event below this one is here

    def add(self, event: Published) -> None:
        events = self._events
        if event.seq in events:
            return
        if not events or event.seq < self._oldest:
            self._oldest = event.seq
        events[event.seq] = event
        self.newest = max(self.newest, event.seq)
        while len(events) > self.size:
            events.pop(self._oldest, None)
            self._oldest += 1

    def between(self, after: int, upto: int) -> list[Published] | None:
        """Every event with after < seq <= upto, or None if any of them is not here."""
        events = self._events
        try:
            return [events[seq] for seq in range(after + 1, upto + 1)]
        except KeyError:
            return None


class Recent:
    """Rings for the projects most recently watched here, at most `projects` of them."""

    def __init__(self, size: int, projects: int) -> None:
        self.size, self.projects = size, projects
        self._rings: OrderedDict[int, Ring] = OrderedDict()

    def ring(self, project_id: int) -> Ring | None:
        return self._rings.get(project_id)

    def track(self, project_id: int) -> Ring:
        """Keep a ring for the project from now on (a viewer arrived)."""
        ring = self._rings.get(project_id)
        if ring is None:
            ring = self._rings[project_id] = Ring(self.size)
            if len(self._rings) > self.projects:
                self._rings.popitem(last=False)
        self._rings.move_to_end(project_id)
        return ring

    def add(self, event: Published) -> None:
        ring = self._rings.get(event.project_id)
        if ring is not None and event.seq > 0:
            ring.add(event)
