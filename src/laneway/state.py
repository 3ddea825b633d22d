"""The resources one app instance owns, built in the lifespan and reached from requests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from laneway.auth.passwords import Passwords
from laneway.auth.ratelimit import LoginLimiter
from laneway.config import Settings
from laneway.db import Database
from laneway.kit.cursor import CursorCodec


@dataclass(slots=True)
class AppState:
    settings: Settings
    database: Database
    passwords: Passwords
    login_limiter: LoginLimiter
    cursors: CursorCodec

    @classmethod
    def build(cls, settings: Settings) -> AppState:
        return cls(
            settings=settings,
            database=Database(settings),
            passwords=Passwords(settings.auth),
            login_limiter=LoginLimiter(settings.auth),
            cursors=CursorCodec(settings.secret_key),
        )

    async def close(self) -> None:
        await self.database.dispose()


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.laneway
    return state


StateDep = Annotated[AppState, Depends(get_state)]
