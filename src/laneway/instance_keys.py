"""The instance's signing key: LANEWAY_SECRET_KEY when set, otherwise a random key made on
first start and kept in the database, so every replica signs with the same key and no
installation signs with a value anyone else knows."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from typing import Annotated

import structlog
from fastapi import Depends
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from laneway.db import Database
from laneway.errors import ServiceUnavailable
from laneway.models import InstanceSecret
from laneway.models.base import utcnow

log = structlog.get_logger("laneway.keys")
ROOT = "root"
RETRY_SECONDS = 2.0


async def stored_root(session: AsyncSession) -> str:
    """The stored key, made here if no replica made it yet (the first insert wins)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await session.execute(
        insert(InstanceSecret)
        .values(name=ROOT, value=secrets.token_urlsafe(48), created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["name"])
    )
    value: str = (
        await session.execute(select(InstanceSecret.value).where(InstanceSecret.name == ROOT))
    ).scalar_one()
    return value


class InstanceKeys:
    def __init__(self, configured: str | None) -> None:
        self._root = configured.encode() if configured else None
        self._retry: asyncio.Task[None] | None = None

    async def load(self, database: Database) -> None:
        """At start-up; while the database is out of reach, keep trying in the background
        (until then, signing answers 503)."""
        if self._root is not None:
            return
        try:
            await self._load(database)
        except Exception as error:  # unreachable or not migrated yet: retry, do not crash
            log.warning("instance key not loaded yet; retrying", error=repr(error))
            self._retry = asyncio.create_task(self._keep_trying(database), name="instance-key")

    async def _load(self, database: Database) -> None:
        async with database.transaction() as session:
            self._root = (await stored_root(session)).encode()

    async def _keep_trying(self, database: Database) -> None:
        while self._root is None:
            await asyncio.sleep(RETRY_SECONDS)
            try:
                await self._load(database)
            except Exception as error:
                log.warning("instance key still not loaded", error=repr(error))
        log.info("instance key loaded")

    def close(self) -> None:
        if self._retry is not None:
            self._retry.cancel()

    def derive(self, purpose: str) -> bytes:
        """A key for one purpose (cursors, ...), so no two uses share a key."""
        if self._root is None:
            raise ServiceUnavailable("The server is starting; retry shortly.", retry_after=2)
        return hmac.new(self._root, purpose.encode(), hashlib.sha256).digest()


async def get_keys(connection: HTTPConnection) -> InstanceKeys:
    keys: InstanceKeys = connection.app.state.laneway.keys
    return keys


KeysDep = Annotated[InstanceKeys, Depends(get_keys)]
