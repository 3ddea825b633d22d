"""Which events this process's commits should wake the webhook runner for: those of a type an
active webhook of their project subscribes to. A commit anywhere else costs no pass.

What it knows is read from the database by the runner every few seconds. A webhook created or
changed since counts at once for every event of its project, until the next read says
otherwise: in this process from its commit, in the others as soon as Redis relays that
(realtime/fanout.py). Knowing too little only costs time, never a delivery: the runner's own
poll reads the whole log every LANEWAY_JOBS_POLL_SECONDS whatever woke it, so an event whose
commit did not wake it is delivered by that poll instead.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from laneway.models.event_types import EventType
from laneway.webhooks import repository


class HookedProjects:
    def __init__(self) -> None:
        # project: the event types its active webhooks subscribe to ("*": all); None until the
        # first read, and until then every event counts
        self._read: dict[int, frozenset[str]] | None = None
        self._changed: set[int] = set()  # projects whose webhooks changed since the last read

    def wanted(self, project_id: int, event_type: EventType) -> bool:
        if self._read is None or project_id in self._changed:
            return True
        subscribed = self._read.get(project_id, frozenset())
        return "*" in subscribed or event_type in subscribed

    def changed(self, project_ids: Iterable[int]) -> None:
        self._changed.update(project_ids)

    async def read(self, session: AsyncSession) -> None:
        """Its first statement must be the session's first: a change heard of before it began
        is one this read sees (it committed before being announced)."""
        heard = set(self._changed)
        self._read = await repository.subscriptions(session)
        self._changed -= heard
