"""Accounts and tokens.

Most functions take the request's session, flush and never commit. Those that hash or verify a
password (register, login, change and reset password) take the database instead and open their
own short transactions around the hash, never across it: a hash costs tens of milliseconds,
and on SQLite a write transaction holds the one write lock every other writer waits for.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from laneway.auth import ownership as webhook_ownership
from laneway.auth import repository, tokens, usernames
from laneway.auth.passwords import Passwords
from laneway.auth.ratelimit import AuthLimits
from laneway.caches import Caches
from laneway.commits import pending
from laneway.db import Database
from laneway.errors import Conflict, Forbidden, NotFound, Unauthorized
from laneway.kit.savepoint import add_unique
from laneway.kit.text import one_line
from laneway.models import ApiToken, TokenKind, TokenScope, User
from laneway.models.base import utcnow
from laneway.models.refs import Authenticated, TokenRef, UserRef
from laneway.models.user import username_from_email


def normalize_email(email: str) -> str:
    return email.strip().lower()


def _revoked(session: AsyncSession, token_ids: Sequence[int]) -> None:
    # live sockets opened with these tokens close once this commits
    pending(session).revoked_tokens.extend(token_ids)


async def register(
    database: Database,
    passwords: Passwords,
    *,
    email: str,
    password: str,
    name: str,
    invitation: str | None = None,
) -> User:
    """A new account; with `invitation`, only if that code was issued for this email."""
    email = normalize_email(email)
    password_hash = await passwords.hash(password)  # before the write lock, see above
    async with database.transaction() as session:
        if invitation is not None and not await repository.redeem_invitation(
            session, tokens.digest(invitation), email
        ):
            raise Forbidden("Signing up needs a valid invitation for this email address.")
        return await add_user(session, email=email, name=name, password_hash=password_hash)


async def add_user(session: AsyncSession, *, email: str, name: str, password_hash: str) -> User:
    email = normalize_email(email)
    # the API refuses a line break; an operator's `create-user` is made one line instead
    name = one_line(name)
    if await repository.user_by_email(session, email) is not None:
        raise Conflict("An account with this email already exists.")
    for _ in range(3):  # a concurrent registration may take the username chosen here
        username = await usernames.free(session, username_from_email(email))
        user = User(email=email, username=username, name=name, password_hash=password_hash)
        if await add_unique(session, user):
            return user
        if await repository.user_by_email(session, email) is not None:  # it won the race
            raise Conflict("An account with this email already exists.")
    raise Conflict("Registrations are racing for this name: try again.")


async def update_profile(
    session: AsyncSession,
    user_id: int,
    *,
    name: str | None,
    username: str | None,
    email_notifications: bool | None = None,
) -> User:
    """The name, username and email switch; a username someone has is a 409."""
    user = await session.get_one(User, user_id)
    if name is not None:
        user.name = name
    if email_notifications is not None:
        user.email_notifications = email_notifications
    if username is not None and username != user.username:
        user.username = username
        try:
            async with session.begin_nested():
                await session.flush()
        except IntegrityError:
            raise Conflict(f"The username {username!r} is taken.") from None
    pending(session).users_changed.append(user_id)
    return user


async def login(
    database: Database,
    passwords: Passwords,
    limits: AuthLimits,
    *,
    email: str,
    password: str,
    address: str,
    session_ttl: timedelta,
) -> tuple[ApiToken, str]:
    email = normalize_email(email)
    await limits.before_login(email, address)
    async with database.transaction(write=False) as session:
        user = await repository.user_by_email(session, email)
    valid = await passwords.verify(user.password_hash if user else None, password)
    if user is None or not valid or not user.is_active:
        await limits.login_failed(email, address)
        raise Unauthorized("Wrong email or password.")
    async with database.transaction() as session:
        return await issue_token(
            session, user, kind=TokenKind.session, name="login", expires_at=utcnow() + session_ttl
        )


async def issue_token(
    session: AsyncSession,
    user: User | UserRef,
    *,
    kind: TokenKind,
    name: str,
    expires_at: datetime | None,
    scope: TokenScope = TokenScope.write,
) -> tuple[ApiToken, str]:
    new = tokens.generate(kind)
    token = ApiToken(
        user_id=user.id,
        kind=kind,
        name=name,
        prefix=new.prefix,
        scope=scope,
        token_hash=new.digest,
        created_at=utcnow(),
        expires_at=expires_at,
    )
    session.add(token)
    await session.flush()
    return token, new.secret


async def authenticate(session: AsyncSession, secret: str) -> Authenticated:
    return await authenticate_digest(session, tokens.digest(secret))


async def authenticate_digest(session: AsyncSession, digest: str) -> Authenticated:
    return _accept(await repository.token_with_user(session, digest=digest))


async def authenticate_token_id(session: AsyncSession, token_id: int) -> Authenticated:
    """For a live ticket: the token it was issued under must still be valid."""
    return _accept(await repository.token_with_user(session, token_id=token_id))


def _accept(found: tuple[ApiToken, User] | None) -> Authenticated:
    if found is None:
        raise Unauthorized("The token is invalid or has been revoked.")
    token, user = found
    return check_usable(Authenticated(user=UserRef.of(user), token=TokenRef.of(token)))


def check_usable(auth: Authenticated) -> Authenticated:
    """Applied to a cached credential too: a token can expire while it is cached."""
    if auth.token.expires_at is not None and auth.token.expires_at <= utcnow():
        raise Unauthorized("The token has expired.")
    if not auth.user.is_active:
        raise Unauthorized("The account is disabled.")
    return auth


def cached_usable(caches: Caches, credential: str) -> Authenticated | None:
    """Whose bearer token this is, when this process has it cached and it may be used; None
    sends the request on to authentication, which looks it up or answers 401 (for what runs
    before routing: the rate limit, the board's fast path)."""
    auth = caches.token(tokens.digest(credential))
    if auth is None:
        return None
    try:
        return check_usable(auth)
    except Unauthorized:
        return None


async def list_tokens(session: AsyncSession, user: UserRef) -> Sequence[ApiToken]:
    return await repository.tokens_of(session, user.id)


async def revoke_token(session: AsyncSession, auth: Authenticated, token_id: int) -> None:
    """Personal tokens manage no sessions and no other token: only a signed-in session may."""
    if auth.token.kind is not TokenKind.session and token_id != auth.token.id:
        raise Forbidden("An API token may revoke only itself; sign in to revoke other tokens.")
    if not await repository.delete_token(session, auth.user.id, token_id):
        raise NotFound("No such token.")
    _revoked(session, [token_id])


async def logout_everywhere(session: AsyncSession, user: UserRef) -> int:
    """End every session of the account, this one included; personal tokens stay."""
    ended = await repository.delete_tokens(session, user.id, kind=TokenKind.session)
    _revoked(session, ended)
    return len(ended)


async def change_password(
    database: Database,
    passwords: Passwords,
    auth: Authenticated,
    *,
    current: str,
    new: str,
    revoke_tokens: bool = True,
) -> int:
    """Keeps the session that asked; every other session of the account ends, and its
    personal tokens too unless `revoke_tokens` is false (a password changed because someone
    else knew it must also end what they may have minted with it). How many credentials ended."""
    async with database.transaction(write=False) as session:
        stored = await repository.password_hash(session, auth.user.id)
    if not await passwords.verify(stored, current):
        raise Forbidden("The current password is wrong.")
    password_hash = await passwords.hash(new)
    async with database.transaction() as session:
        await repository.set_password(session, auth.user.id, password_hash)
        ended = await repository.delete_tokens(
            session,
            auth.user.id,
            kind=None if revoke_tokens else TokenKind.session,
            keep=auth.token.id,
        )
        _revoked(session, ended)
    return len(ended)


async def _account(session: AsyncSession, email: str) -> User:
    user = await repository.user_by_email(session, normalize_email(email))
    if user is None:
        raise NotFound(f"No account uses {email}.")
    return user


async def reset_password(
    database: Database, passwords: Passwords, *, email: str, password: str
) -> int:
    """For an operator, recovering an account: a new password, and every credential of the
    account ends, sessions and personal tokens alike (whoever held the account may have minted
    tokens; the owner makes new ones). How many ended."""
    password_hash = await passwords.hash(password)
    async with database.transaction() as session:
        user = await _account(session, email)
        await repository.set_password(session, user.id, password_hash)
        ended = await repository.delete_tokens(session, user.id)
        _revoked(session, ended)
    return len(ended)


async def set_active(session: AsyncSession, *, email: str, active: bool) -> User:
    """For an operator: deactivating ends every session and token of the account at once."""
    user = await _account(session, email)
    await repository.set_active(session, user.id, active=active)
    if not active:
        _revoked(session, await repository.delete_tokens(session, user.id))
        await webhook_ownership.account_deactivated(session, user.id)
    return user


async def set_admin(session: AsyncSession, *, email: str, admin: bool) -> User:
    """For an operator: an instance admin (today: the admin rate limit applies)."""
    user = await _account(session, email)
    await repository.set_admin(session, user.id, admin=admin)
    return user


async def invite(
    session: AsyncSession, *, email: str, invited_by: int | None, valid_for: timedelta
) -> str:
    """A one-use code that lets `email` sign up while registration is invite-only."""
    code = tokens.generate_code("lwi_")
    await repository.add_invitation(
        session, tokens.digest(code), normalize_email(email), invited_by, utcnow() + valid_for
    )
    return code
