"""Idempotency keys for POST: a retry with the same key and body replays the stored response.

The first request stores its response bytes in the same transaction as its change. A retry
finds them and replays them byte for byte. Concurrent duplicates both do the work, but only one
can insert the key: the other's transaction rolls back whole and it replays the winner's answer.

An endpoint takes `IdempotencyDep` and answers through `Idempotency.once`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated, Any, NamedTuple, TypeVar, cast

from fastapi import Depends, Header, Request, Response
from pydantic import BaseModel
from sqlalchemy import CursorResult, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from laneway.auth.deps import CurrentUser
from laneway.db import SessionDep
from laneway.errors import LanewayError, UnprocessableContent
from laneway.kit.problems import error_response
from laneway.kit.savepoint import add_unique
from laneway.kit.schemas import Text
from laneway.models import IdempotencyKey
from laneway.models.base import utcnow

RETENTION = timedelta(hours=48)
REPLAYED_HEADER = "Idempotent-Replayed"
T = TypeVar("T")


class Reply(NamedTuple):
    """A response body (a model, or JSON already serialized) with headers of its own."""

    body: BaseModel | bytes
    headers: dict[str, str] | None = None


class ReplayNeeded(LanewayError):
    """Raised when a concurrent duplicate won; the handler replays its stored response."""

    status, slug, title = 409, "idempotency-conflict", "Duplicate request"

    def __init__(self, user_id: int, key: str, fingerprint: str) -> None:
        super().__init__("A request with this Idempotency-Key completed first.")
        self.user_id, self.key, self.fingerprint = user_id, key, fingerprint


class Idempotency:
    def __init__(
        self, session: AsyncSession, user_id: int, key: str | None, fingerprint: str
    ) -> None:
        self.session, self.user_id, self.key, self.fingerprint = (
            session,
            user_id,
            key,
            fingerprint,
        )

    async def once(
        self,
        status_code: int,
        work: Callable[[], Awaitable[T]],
        reply: Callable[[T], BaseModel | bytes | Reply],
    ) -> Response:
        """The shape of every POST that takes a key: a retry gets the stored response; only a
        first request does `work`, and the response `reply` makes of its result is stored in
        the request's transaction, with the change."""
        if replay := await self._replay():
            return replay
        answer = reply(await work())
        if not isinstance(answer, Reply):
            answer = Reply(answer)
        return await self._respond(status_code, answer)

    async def _replay(self) -> Response | None:
        if self.key is None:
            return None
        stored = await find(self.session, self.user_id, self.key)
        return None if stored is None else response_for(stored, self.fingerprint)

    async def _respond(self, status_code: int, reply: Reply) -> Response:
        model, headers = reply
        body = model if isinstance(model, bytes) else model.model_dump_json().encode()
        if self.key is not None:
            record = IdempotencyKey(
                user_id=self.user_id,
                key=self.key,
                fingerprint=self.fingerprint,
                status_code=status_code,
                body=body,
                created_at=utcnow(),
            )
            # a key whose record outlived its retention is free again (the housekeeping worker
            # may not have deleted the record yet): only a clash costs the extra statement
            if not await add_unique(self.session, record) and not (
                await _drop_expired(self.session, self.user_id, self.key)
                and await add_unique(self.session, record)
            ):
                raise ReplayNeeded(self.user_id, self.key, self.fingerprint)
        return Response(body, status_code, headers=headers, media_type="application/json")


async def find(session: AsyncSession, user_id: int, key: str) -> IdempotencyKey | None:
    return await session.scalar(
        select(IdempotencyKey).where(
            IdempotencyKey.user_id == user_id,
            IdempotencyKey.key == key,
            IdempotencyKey.created_at > utcnow() - RETENTION,
        )
    )


async def _drop_expired(session: AsyncSession, user_id: int, key: str) -> bool:
    """Delete the key's record if it is past retention; whether there was one."""
    result = await session.execute(
        delete(IdempotencyKey).where(
            IdempotencyKey.user_id == user_id,
            IdempotencyKey.key == key,
            IdempotencyKey.created_at <= utcnow() - RETENTION,
        )
    )
    return bool(cast(CursorResult[Any], result).rowcount)


def response_for(stored: IdempotencyKey, fingerprint: str) -> Response:
    if stored.fingerprint != fingerprint:
        raise UnprocessableContent(
            "This Idempotency-Key was used for a different request; use a new key."
        )
    return Response(
        stored.body,
        stored.status_code,
        headers={REPLAYED_HEADER: "true"},
        media_type="application/json",
    )


async def get_idempotency(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    key: Annotated[
        Text | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=255,
            description="Retries with the same key and body replay the first response (48 h).",
        ),
    ] = None,
) -> Idempotency:
    fingerprint = ""
    if key is not None:  # only a keyed request needs its body's fingerprint
        digest = hashlib.sha256()
        target = request.url.path + ("?" + request.url.query if request.url.query else "")
        for part in (request.method.encode(), target.encode(), await request.body()):
            digest.update(part + b"\x00")
        fingerprint = digest.hexdigest()
    return Idempotency(session, user.id, key, fingerprint)


IdempotencyDep = Annotated[Idempotency, Depends(get_idempotency)]


async def replay_handler(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, ReplayNeeded):  # pragma: no cover - registered for ReplayNeeded only
        raise exc
    database = request.app.state.laneway.database
    async with database.session(write=False) as session:
        stored = await find(session, exc.user_id, exc.key)
    if stored is None:  # the winner's record expired already: nothing to replay
        return error_response(exc)
    try:
        return response_for(stored, exc.fingerprint)
    except LanewayError as error:
        return error_response(error)
