"""Per-process copies of what nearly every request reads: who a token belongs to, a member's
role in a project, and each project's board.

The bound: no process answers from a copy older than `LANEWAY_CACHE_SECONDS` (1 s) when
something changed elsewhere. Changes this process commits apply before its response is sent
(read-your-writes); changes other replicas commit apply as soon as Redis relays their events,
normally within milliseconds. The age limit holds even when a message is lost, Redis is down,
or an operator's command changed the database directly.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from cachetools import LRUCache, TTLCache
from fastapi import Depends, Request

from laneway.commits import Changes
from laneway.config import CacheSettings
from laneway.models import Role
from laneway.models.event_types import EventType
from laneway.models.refs import Authenticated, ProjectRef

_K = TypeVar("_K")
_V = TypeVar("_V")


@dataclass(frozen=True, slots=True)
class RenderedBoard:
    seq: int  # the project's event number it shows
    body: bytes


class ProjectVersions:
    """Each project's newest event number as this process knows it, and since when it can
    vouch for it. Only a database read or this process's own commit vouches: hearing of an
    event from another replica raises the number, but cannot prove nothing newer exists."""

    def __init__(self, max_age: float) -> None:
        self.max_age = max_age
        self._seq: dict[int, int] = {}
        self._checked: dict[int, float] = {}

    def current(self, project_id: int) -> int | None:
        """The newest event number, if known within the age limit."""
        checked = self._checked.get(project_id)
        if checked is None or time.monotonic() - checked > self.max_age:
            return None
        return self._seq[project_id]

    def confirmed(self, project_id: int, seq: int, at: float) -> None:
        """The database held `seq` (or newer) at monotonic time `at`."""
        self._seq[project_id] = max(self._seq.get(project_id, 0), seq)
        self._checked[project_id] = max(self._checked.get(project_id, at), at)

    def heard(self, project_id: int, seq: int) -> None:
        if project_id in self._seq and seq > self._seq[project_id]:
            self._seq[project_id] = seq


class Tally:
    """Hits and misses of one cache, as plain integers: /metrics samples them."""

    __slots__ = ("hits", "misses")

    def __init__(self) -> None:
        self.hits = self.misses = 0

    def count(self, found: object) -> None:
        if found is None:
            self.misses += 1
        else:
            self.hits += 1


class Caches:
    def __init__(
        self,
        settings: CacheSettings,
        *,
        access_events: tuple[str, ...],
        label_events: tuple[str, ...],
    ) -> None:
        """`access_events` and `label_events`: the event types (prefixes) after which a
        project's cached roles, or its cached labels, are dropped; the domains that fill those
        caches say which (projects/access.py, labels/service.py)."""
        self.enabled = settings.seconds > 0
        self._access_events, self._label_events = access_events, label_events
        max_age = settings.seconds
        # by the token's SHA-256: the secret itself is never kept
        self.tokens: TTLCache[str, Authenticated] = TTLCache(settings.entries, max_age)
        self.access: TTLCache[tuple[int, int], tuple[ProjectRef, Role]] = TTLCache(
            settings.entries, max_age
        )
        self.versions = ProjectVersions(max_age)
        self.boards: LRUCache[tuple[int, int], RenderedBoard] = LRUCache(
            settings.board_bytes, getsizeof=lambda board: len(board.body)
        )
        self.labels: TTLCache[int, list[dict[str, Any]]] = TTLCache(settings.entries, max_age)
        # each card's JSON by (task id, version): a task's card changes only with its version
        self.cards: LRUCache[tuple[int, int], bytes] = LRUCache(settings.card_bytes, getsizeof=len)
        self._tallies = {name: Tally() for name in ("token", "role", "board", "card", "labels")}

    def tallies(self) -> dict[str, Tally]:
        return self._tallies

    # --- reads -------------------------------------------------------------------------------

    def token(self, digest: str) -> Authenticated | None:
        found = _fresh(self.tokens, digest) if self.enabled else None
        self._tallies["token"].count(found)
        return found

    def keep_token(self, digest: str, auth: Authenticated) -> None:
        if self.enabled:
            self.tokens[digest] = auth

    def role(self, project_id: int, user_id: int) -> tuple[ProjectRef, Role] | None:
        found = _fresh(self.access, (project_id, user_id)) if self.enabled else None
        self._tallies["role"].count(found)
        return found

    def keep_role(self, project: ProjectRef, user_id: int, role: Role) -> None:
        if self.enabled:
            self.access[(project.id, user_id)] = (project, role)

    def project_labels(self, project_id: int) -> list[dict[str, Any]] | None:
        found = self.labels.get(project_id) if self.enabled else None
        self._tallies["labels"].count(found)
        return found

    def keep_labels(self, project_id: int, labels: list[dict[str, Any]]) -> None:
        if self.enabled:
            self.labels[project_id] = labels

    def has_board(self, project_id: int, limit: int) -> bool:
        return self.enabled and (project_id, limit) in self.boards

    def board(self, project_id: int, limit: int, seq: int) -> bytes | None:
        found = self.boards.get((project_id, limit)) if self.enabled else None
        body = found.body if found is not None and found.seq == seq else None
        self._tallies["board"].count(body)
        return body

    def keep_board(self, project_id: int, limit: int, seq: int, body: bytes) -> None:
        if self.enabled and len(body) <= self.boards.maxsize:
            self.boards[(project_id, limit)] = RenderedBoard(seq, body)

    def card(self, task_id: int, version: int) -> bytes | None:
        found = self.cards.get((task_id, version))
        self._tallies["card"].count(found)
        return found

    def keep_card(self, task_id: int, version: int, card: bytes) -> None:
        if len(card) <= self.cards.maxsize:
            self.cards[(task_id, version)] = card

    # --- invalidation ------------------------------------------------------------------------

    def after_commit(self, changes: Changes) -> None:
        """This process committed: its next request must see it."""
        committed_at = time.monotonic()
        for event in changes.events:
            self.versions.confirmed(event.project_id, event.seq, committed_at)
            self.event_seen(event.project_id, event.type)
        self.tokens_revoked(changes.revoked_tokens)
        self.users_changed(changes.users_changed)

    def remote_event(self, project_id: int, seq: int, event_type: EventType) -> None:
        """Another replica committed (relayed by Redis or read from the log)."""
        self.versions.heard(project_id, seq)
        self.event_seen(project_id, event_type)

    def event_seen(self, project_id: int, event_type: EventType) -> None:
        if event_type.startswith(self._label_events):
            self.labels.pop(project_id, None)
        if event_type.startswith(self._access_events):
            for key in [key for key in self.access if key[0] == project_id]:
                self.access.pop(key, None)

    def tokens_revoked(self, token_ids: Iterable[int]) -> None:
        revoked = set(token_ids)
        if not revoked:
            return
        for digest in [d for d, auth in self.tokens.items() if auth.token.id in revoked]:
            self.tokens.pop(digest, None)

    def users_changed(self, user_ids: Iterable[int]) -> None:
        """Their tokens' cached account (name, username) is stale: looked up again."""
        changed = set(user_ids)
        if not changed:
            return
        for digest in [d for d, auth in self.tokens.items() if auth.user.id in changed]:
            self.tokens.pop(digest, None)


def _fresh(cache: TTLCache[_K, _V], key: _K) -> _V | None:
    """The entry if present and unexpired: one lookup and one clock reading, where
    `TTLCache.get` takes two of each (`in`, then `[]`). Every API request makes one or two."""
    try:
        return cache[key]
    except KeyError:  # absent or expired
        return None


async def get_caches(request: Request) -> Caches:
    caches: Caches = request.app.state.laneway.caches
    return caches


CachesDep = Annotated[Caches, Depends(get_caches)]
