from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from laneway.models import ApiToken, Invitation, TokenKind, User
from laneway.models.base import utcnow


async def user_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == email))


async def token_with_user(
    session: AsyncSession, *, digest: str | None = None, token_id: int | None = None
) -> tuple[ApiToken, User] | None:
    """The token (by its hash, or by id for a live ticket) and its user, in one query."""
    condition = ApiToken.token_hash == digest if digest is not None else ApiToken.id == token_id
    row = (
        await session.execute(
            select(ApiToken, User).join(User, User.id == ApiToken.user_id).where(condition)
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def tokens_of(session: AsyncSession, user_id: int) -> Sequence[ApiToken]:
    result = await session.scalars(
        select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)
    )
    return result.all()


async def delete_token(session: AsyncSession, user_id: int, token_id: int) -> bool:
    result = await session.execute(
        delete(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.user_id == user_id)
        .returning(ApiToken.id)
    )
    return result.first() is not None


async def delete_tokens(
    session: AsyncSession, user_id: int, *, kind: TokenKind | None = None, keep: int | None = None
) -> list[int]:
    """Delete a user's tokens (of one kind, all but one); the ids that were deleted."""
    query = delete(ApiToken).where(ApiToken.user_id == user_id)
    if kind is not None:
        query = query.where(ApiToken.kind == kind)
    if keep is not None:
        query = query.where(ApiToken.id != keep)
    result = await session.execute(query.returning(ApiToken.id))
    return [int(row[0]) for row in result]


async def password_hash(session: AsyncSession, user_id: int) -> str | None:
    return await session.scalar(select(User.password_hash).where(User.id == user_id))


async def set_password(session: AsyncSession, user_id: int, password_hash: str) -> None:
    await session.execute(
        update(User).where(User.id == user_id).values(password_hash=password_hash)
    )


async def set_active(session: AsyncSession, user_id: int, *, active: bool) -> None:
    await session.execute(update(User).where(User.id == user_id).values(is_active=active))


async def set_admin(session: AsyncSession, user_id: int, *, admin: bool) -> None:
    await session.execute(update(User).where(User.id == user_id).values(is_admin=admin))


async def valid_token_ids(session: AsyncSession, token_ids: Collection[int]) -> set[int]:
    """Which of these tokens still exist, have not expired and belong to an active account."""
    rows = await session.execute(
        select(ApiToken.id)
        .join(User, User.id == ApiToken.user_id)
        .where(
            ApiToken.id.in_(token_ids),
            User.is_active.is_(True),
            or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > utcnow()),
        )
    )
    return {int(row[0]) for row in rows}


async def add_invitation(
    session: AsyncSession, code_hash: str, email: str, invited_by: int | None, expires_at: datetime
) -> None:
    await session.execute(
        insert(Invitation).values(
            code_hash=code_hash,
            email=email,
            invited_by=invited_by,
            created_at=utcnow(),
            expires_at=expires_at,
        )
    )


async def redeem_invitation(session: AsyncSession, code_hash: str, email: str) -> bool:
    now = utcnow()
    await session.execute(delete(Invitation).where(Invitation.expires_at <= now))
    result = await session.execute(
        delete(Invitation)
        .where(Invitation.code_hash == code_hash, Invitation.email == email)
        .returning(Invitation.email)
    )
    return result.first() is not None
