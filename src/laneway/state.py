"""The resources one app instance owns, built in the lifespan and reached from requests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request

from laneway.auth.passwords import Passwords
from laneway.auth.ratelimit import LoginLimiter
from laneway.config import Settings
from laneway.db import Database
from laneway.kit.cursor import CursorCodec
from laneway.realtime.fanout import Fanout
from laneway.realtime.hub import Hub
from laneway.realtime.tickets import Tickets
from laneway.realtime.wire import PENDING_KEY, REVOKED_TOKENS_KEY


@dataclass(slots=True)
class AppState:
    settings: Settings
    database: Database
    passwords: Passwords
    login_limiter: LoginLimiter
    cursors: CursorCodec
    hub: Hub
    tickets: Tickets
    fanout: Fanout

    @classmethod
    def build(cls, settings: Settings) -> AppState:
        database = Database(settings)
        hub = Hub(settings.live.queue_size)
        return cls(
            settings=settings,
            database=database,
            passwords=Passwords(settings.auth),
            login_limiter=LoginLimiter(settings.auth),
            cursors=CursorCodec(settings.secret_key),
            hub=hub,
            tickets=Tickets(settings.secret_key, settings.live.ticket_ttl_seconds),
            fanout=Fanout(
                hub,
                database,
                settings.redis.url,
                settings.live.relay_interval_seconds,
                settings.redis.prefix,
            ),
        )

    def __post_init__(self) -> None:
        self.database.on_commit = self._committed

    def _committed(self, info: dict[str, Any]) -> None:
        """After a commit: what it wrote goes to live viewers; revoked tokens lose their sockets."""
        events = info.pop(PENDING_KEY, None)
        if events:
            self.fanout.committed(events)
        revoked = info.pop(REVOKED_TOKENS_KEY, None)
        if revoked:
            self.hub.revoke_tokens(revoked)

    async def close(self) -> None:
        await self.fanout.stop()
        await self.database.dispose()


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.laneway
    return state


StateDep = Annotated[AppState, Depends(get_state)]
