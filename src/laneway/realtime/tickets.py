"""One-use tickets that let a browser open a live socket (browsers cannot set headers on a
WebSocket). A ticket is 256 random bits; only its SHA-256 is stored, with the token it was
issued under and the project it opens. Opening the socket deletes the row, so a ticket works
once, on any replica, and revoking the token (which deletes it) ends its tickets too."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, insert
from sqlalchemy.ext.asyncio import AsyncSession

from laneway.models import LiveTicket
from laneway.models.base import utcnow

MARKER = "lwt_"


def _digest(ticket: str) -> str:
    return hashlib.sha256(ticket.encode()).hexdigest()


async def issue(session: AsyncSession, token_id: int, project_id: int, ttl_seconds: int) -> str:
    now = utcnow()
    await session.execute(delete(LiveTicket).where(LiveTicket.expires_at <= now))
    ticket = MARKER + secrets.token_urlsafe(32)
    await session.execute(
        insert(LiveTicket).values(
            ticket_hash=_digest(ticket),
            token_id=token_id,
            project_id=project_id,
            expires_at=now + timedelta(seconds=ttl_seconds),
        )
    )
    return ticket


async def redeem(session: AsyncSession, ticket: str, project_id: int) -> int | None:
    """The token id the ticket was issued under, once; None if unknown, used, expired or for
    another project."""
    if not ticket.startswith(MARKER) or len(ticket) > 100:
        return None
    row = (
        await session.execute(
            delete(LiveTicket)
            .where(
                LiveTicket.ticket_hash == _digest(ticket),
                LiveTicket.project_id == project_id,
                LiveTicket.expires_at > utcnow(),
            )
            .returning(LiveTicket.token_id)
        )
    ).first()
    return None if row is None else int(row[0])
