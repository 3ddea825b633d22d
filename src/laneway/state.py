"""The resources one app instance owns, built in the lifespan and reached from requests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request

from laneway.auth.passwords import Passwords
from laneway.auth.ratelimit import AuthLimits, SharedLimiter
from laneway.config import Settings
from laneway.db import Database
from laneway.instance_keys import InstanceKeys
from laneway.kit.cursor import CursorCodec
from laneway.realtime.fanout import Fanout
from laneway.realtime.guard import CredentialGuard
from laneway.realtime.hub import Hub
from laneway.realtime.wire import PENDING_KEY, REVOKED_TOKENS_KEY


@dataclass(slots=True)
class AppState:
    settings: Settings
    database: Database
    passwords: Passwords
    auth_limits: AuthLimits
    keys: InstanceKeys
    cursors: CursorCodec
    hub: Hub
    fanout: Fanout
    guard: CredentialGuard

    @classmethod
    def build(cls, settings: Settings) -> AppState:
        database = Database(settings)
        hub = Hub(settings.live.queue_size)
        keys = InstanceKeys(settings.secret_key)
        limiter = SharedLimiter(settings.redis.url, settings.redis.prefix)
        return cls(
            settings=settings,
            database=database,
            passwords=Passwords(settings.auth),
            auth_limits=AuthLimits(settings.auth, limiter),
            keys=keys,
            cursors=CursorCodec(lambda: keys.derive("cursor")),
            hub=hub,
            guard=CredentialGuard(hub, database, settings.live.credential_check_seconds),
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
            self.fanout.revoked(revoked)

    async def start(self) -> None:
        """What a serving process runs besides requests (the CLI's one-off commands skip it)."""
        await self.keys.load(self.database)
        self.fanout.start()
        self.guard.start()

    async def close(self) -> None:
        self.keys.close()
        await self.guard.stop()
        await self.fanout.stop()
        await self.database.dispose()


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.laneway
    return state


StateDep = Annotated[AppState, Depends(get_state)]
