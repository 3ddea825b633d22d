"""Who is calling: one indexed lookup of the bearer token per request."""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from laneway.auth import service
from laneway.db import SessionDep
from laneway.errors import Forbidden, Unauthorized
from laneway.models import TokenKind, TokenScope, User

_bearer = HTTPBearer(auto_error=False, description="A session or personal API token.")
_READS = frozenset({"GET", "HEAD"})


async def get_authenticated(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> service.Authenticated:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("Send a bearer token in the Authorization header.")
    auth = await service.authenticate(session, credentials.credentials)
    if auth.token.scope is TokenScope.read and request.method not in _READS:
        raise Forbidden("This token may only read (scope `read`).")
    structlog.contextvars.bind_contextvars(user_id=auth.user.id)
    return auth


def get_current_user(
    auth: Annotated[service.Authenticated, Depends(get_authenticated)],
) -> User:
    return auth.user


def get_session_auth(
    auth: Annotated[service.Authenticated, Depends(get_authenticated)],
) -> service.Authenticated:
    """Account management (tokens, password, invitations) needs a signed-in session, so a
    leaked API token cannot mint more tokens or lock its owner out."""
    if auth.token.kind is not TokenKind.session:
        raise Forbidden("Sign in with a password to do this; API tokens cannot.")
    return auth


AuthDep = Annotated[service.Authenticated, Depends(get_authenticated)]
SessionAuth = Annotated[service.Authenticated, Depends(get_session_auth)]
CurrentUser = Annotated[User, Depends(get_current_user)]
