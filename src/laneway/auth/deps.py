"""Who is calling: one indexed lookup of the bearer token per request."""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from laneway.auth import service
from laneway.db import SessionDep
from laneway.errors import Unauthorized
from laneway.models import User

_bearer = HTTPBearer(auto_error=False, description="A session or personal API token.")


async def get_authenticated(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> service.Authenticated:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("Send a bearer token in the Authorization header.")
    auth = await service.authenticate(session, credentials.credentials)
    structlog.contextvars.bind_contextvars(user_id=auth.user.id)
    return auth


def get_current_user(
    auth: Annotated[service.Authenticated, Depends(get_authenticated)],
) -> User:
    return auth.user


AuthDep = Annotated[service.Authenticated, Depends(get_authenticated)]
CurrentUser = Annotated[User, Depends(get_current_user)]
