"""Who is calling: the bearer token's owner, from the per-process cache or one indexed lookup."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import structlog
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from laneway.auth import service, tokens
from laneway.caches import Caches, CachesDep
from laneway.db import DatabaseDep, SessionDep
from laneway.errors import Forbidden, Unauthorized
from laneway.models import TokenKind, TokenScope
from laneway.models.refs import Authenticated, UserRef
from laneway.rate_limits.middleware import apply_to_account
from laneway.rate_limits.tiers import AUTH_KEY

_bearer = HTTPBearer(auto_error=False, description="A session or personal API token.")
_READS = frozenset({"GET", "HEAD"})
_READING_MARK = "__laneway_reading__"
EndpointT = TypeVar("EndpointT", bound=Callable[..., Any])


def reading(endpoint: EndpointT) -> EndpointT:
    """Declares that a route which is no GET only reads, as a token's scope sees it: it shows
    nothing a GET would not (a live ticket opens the stream a read token may follow), so a
    `read` token may call it."""
    setattr(endpoint, _READING_MARK, True)
    return endpoint


def marked_reading(endpoint: object) -> bool:
    return bool(getattr(endpoint, _READING_MARK, False))


def _reads(request: Request) -> bool:
    # the endpoint of the route the router matched
    return request.method in _READS or marked_reading(request.scope.get("endpoint"))


async def get_authenticated(
    request: Request,
    session: SessionDep,
    caches: CachesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Authenticated:
    async def lookup(digest: str) -> Authenticated:
        return await service.authenticate_digest(session, digest)

    return await _authenticated(request, caches, credentials, lookup)


async def get_authenticated_briefly(
    request: Request,
    caches: CachesDep,
    database: DatabaseDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Authenticated:
    """The same, for a request that waits long (a long poll): a token the cache lacks is
    looked up in a transaction of its own, so no connection is held while it waits."""

    async def lookup(digest: str) -> Authenticated:
        async with database.transaction(write=False) as session:
            return await service.authenticate_digest(session, digest)

    return await _authenticated(request, caches, credentials, lookup)


async def _authenticated(
    request: Request,
    caches: Caches,
    credentials: HTTPAuthorizationCredentials | None,
    lookup: Callable[[str], Awaitable[Authenticated]],
) -> Authenticated:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("Send a bearer token in the Authorization header.")
    auth = request.scope.get(AUTH_KEY)  # the rate limit found it in the cache just now
    if auth is None:
        digest = tokens.digest(credentials.credentials)
        cached = caches.token(digest)
        if cached is not None:
            auth = service.check_usable(cached)
        else:
            auth = await lookup(digest)
            caches.keep_token(digest, auth)
        await apply_to_account(request.scope, request.app.state.laneway.rate_limits, auth)
    if auth.token.scope is TokenScope.read and not _reads(request):
        raise Forbidden("This token may only read (scope `read`).")
    structlog.contextvars.bind_contextvars(user_id=auth.user.id)
    return auth


async def get_current_user(
    auth: Annotated[Authenticated, Depends(get_authenticated)],
) -> UserRef:
    return auth.user


async def get_session_auth(
    auth: Annotated[Authenticated, Depends(get_authenticated)],
) -> Authenticated:
    """Account management (tokens, password, invitations) needs a signed-in session, so a
    leaked API token cannot mint more tokens or lock its owner out."""
    if auth.token.kind is not TokenKind.session:
        raise Forbidden("Sign in with a password to do this; API tokens cannot.")
    return auth


AuthDep = Annotated[Authenticated, Depends(get_authenticated)]
SessionAuth = Annotated[Authenticated, Depends(get_session_auth)]
CurrentUser = Annotated[UserRef, Depends(get_current_user)]
BriefAuth = Annotated[Authenticated, Depends(get_authenticated_briefly)]
