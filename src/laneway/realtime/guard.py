"""Live sockets live only as long as their credentials: every interval, each process checks
the tokens its sockets were opened with against the database (the one place every replica
shares) and closes the sockets of tokens revoked, expired or belonging to a deactivated account,
wherever that happened. Revocations committed here close their sockets at once (Hub)."""

from __future__ import annotations

import asyncio
from contextlib import suppress

import structlog

from laneway.auth import repository as auth_repository
from laneway.db import Database
from laneway.realtime.hub import Hub

log = structlog.get_logger("laneway.live")


class CredentialGuard:
    def __init__(self, hub: Hub, database: Database, interval: float) -> None:
        self.hub, self.database, self.interval = hub, database, interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="live-credentials")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.check()
            except Exception as error:  # a failed pass must never end the guard
                log.warning("live credential check failed", error=repr(error))

    async def check(self) -> None:
        token_ids = self.hub.token_ids()
        if not token_ids:
            return
        async with self.database.transaction(write=False) as session:
            valid = await auth_repository.valid_token_ids(session, token_ids)
        if gone := token_ids - valid:
            self.hub.revoke_tokens(gone)
