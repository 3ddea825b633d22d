"""Accounts and tokens. Takes a session, flushes, never commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from laneway.auth import repository, tokens
from laneway.auth.passwords import Passwords
from laneway.errors import Conflict, NotFound, Unauthorized
from laneway.kit.savepoint import add_unique
from laneway.models import ApiToken, TokenKind, User
from laneway.models.base import utcnow
from laneway.realtime.wire import REVOKED_TOKENS_KEY


@dataclass(frozen=True, slots=True)
class Authenticated:
    user: User
    token: ApiToken


def normalize_email(email: str) -> str:
    return email.strip().lower()


async def register(
    session: AsyncSession, passwords: Passwords, *, email: str, password: str, name: str
) -> User:
    email = normalize_email(email)
    if await repository.user_by_email(session, email) is not None:
        raise Conflict("An account with this email already exists.")
    user = User(email=email, name=name, password_hash=await passwords.hash(password))
    if not await add_unique(session, user):  # a concurrent registration won the race
        raise Conflict("An account with this email already exists.")
    return user


async def login(
    session: AsyncSession,
    passwords: Passwords,
    *,
    email: str,
    password: str,
    session_ttl: timedelta,
) -> tuple[ApiToken, str]:
    user = await repository.user_by_email(session, normalize_email(email))
    valid = await passwords.verify(user.password_hash if user else None, password)
    if user is None or not valid or not user.is_active:
        raise Unauthorized("Wrong email or password.")
    return await issue_token(
        session, user, kind=TokenKind.session, name="login", expires_at=utcnow() + session_ttl
    )


async def issue_token(
    session: AsyncSession,
    user: User,
    *,
    kind: TokenKind,
    name: str,
    expires_at: datetime | None,
) -> tuple[ApiToken, str]:
    new = tokens.generate(kind)
    token = ApiToken(
        user_id=user.id,
        kind=kind,
        name=name,
        prefix=new.prefix,
        token_hash=new.digest,
        created_at=utcnow(),
        expires_at=expires_at,
    )
    session.add(token)
    await session.flush()
    return token, new.secret


async def authenticate(session: AsyncSession, secret: str) -> Authenticated:
    return _accept(await repository.token_with_user(session, digest=tokens.digest(secret)))


async def authenticate_token_id(session: AsyncSession, token_id: int) -> Authenticated:
    """For a live ticket: the token it was issued under must still be valid."""
    return _accept(await repository.token_with_user(session, token_id=token_id))


def _accept(found: tuple[ApiToken, User] | None) -> Authenticated:
    if found is None:
        raise Unauthorized("The token is invalid or has been revoked.")
    token, user = found
    if token.expires_at is not None and token.expires_at <= utcnow():
        raise Unauthorized("The token has expired.")
    if not user.is_active:
        raise Unauthorized("The account is disabled.")
    return Authenticated(user=user, token=token)


async def list_tokens(session: AsyncSession, user: User) -> Sequence[ApiToken]:
    return await repository.tokens_of(session, user.id)


async def revoke_token(session: AsyncSession, user: User, token_id: int) -> None:
    if not await repository.delete_token(session, user.id, token_id):
        raise NotFound("No such token.")
    # live sockets opened with it close once this commits
    session.info.setdefault(REVOKED_TOKENS_KEY, []).append(token_id)
