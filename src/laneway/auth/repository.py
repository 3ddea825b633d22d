from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from laneway.models import ApiToken, User


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
