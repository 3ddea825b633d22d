from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request, Response, status

from laneway.auth import service
from laneway.auth.deps import AuthDep, CurrentUser, SessionAuth
from laneway.auth.passwords import PasswordsDep
from laneway.auth.ratelimit import AuthLimitsDep
from laneway.auth.schemas import (
    InvitationIn,
    InvitationOut,
    LoginIn,
    PasswordChangeIn,
    ProfileIn,
    RegisterIn,
    TokenCreateIn,
    TokenIssued,
    TokenOut,
    UserOut,
)
from laneway.config import Registration, SettingsDep
from laneway.db import DatabaseDep, SessionDep, reads_only, writes
from laneway.errors import Forbidden, responses
from laneway.kit.schemas import Id
from laneway.models import ApiToken, TokenKind
from laneway.models.base import utcnow

router = APIRouter(tags=["auth"])


def _issued(token: ApiToken, secret: str) -> TokenIssued:
    return TokenIssued(**TokenOut.model_validate(token).model_dump(), token=secret)


def _address(request: Request) -> str:
    # uvicorn has already replaced it with X-Forwarded-For's when the peer is a trusted proxy
    return request.client.host if request.client else "unknown"


@router.post(
    "/auth/register",
    status_code=status.HTTP_201_CREATED,
    response_model=UserOut,
    operation_id="register",
    responses=responses(400, 403, 409, 413, 422, 429),
)
async def register(
    body: RegisterIn,
    request: Request,
    settings: SettingsDep,
    limits: AuthLimitsDep,
    database: DatabaseDep,
    passwords: PasswordsDep,
) -> UserOut:
    """Open, invite-only (`invitation` required) or closed, as the server's
    LANEWAY_REGISTRATION says. An email that already has an account gets 409."""
    mode = settings.registration
    if mode is Registration.closed:
        raise Forbidden("Registration is closed on this server; ask an administrator.")
    if mode is Registration.invite and body.invitation is None:
        raise Forbidden("Registration is by invitation on this server; send `invitation`.")
    await limits.registration(_address(request))
    user = await service.register(
        database,
        passwords,
        email=body.email,
        password=body.password,
        name=body.name,
        invitation=body.invitation if mode is Registration.invite else None,
    )
    return UserOut.model_validate(user)


@router.post(
    "/auth/login",
    response_model=TokenIssued,
    operation_id="login",
    responses=responses(400, 401, 413, 422, 429),
)
async def login(
    body: LoginIn,
    request: Request,
    settings: SettingsDep,
    limits: AuthLimitsDep,
    database: DatabaseDep,
    passwords: PasswordsDep,
) -> TokenIssued:
    token, secret = await service.login(
        database,
        passwords,
        limits,
        email=body.email,
        password=body.password,
        address=_address(request),
        session_ttl=timedelta(hours=settings.auth.session_ttl_hours),
    )
    return _issued(token, secret)


@router.post(
    "/auth/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="logout",
    responses=responses(401, 403),
)
@writes
async def logout(auth: AuthDep, session: SessionDep) -> Response:
    await service.revoke_token(session, auth, auth.token.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/auth/logout-everywhere",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="logout_everywhere",
    responses=responses(401, 403),
)
@writes
async def logout_everywhere(auth: SessionAuth, session: SessionDep) -> Response:
    """End every session of this account, this one included (personal tokens stay)."""
    await service.logout_everywhere(session, auth.user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", response_model=UserOut, operation_id="get_me", responses=responses(401))
async def me(user: CurrentUser) -> UserOut:
    return UserOut.model_validate(user)


@router.patch(
    "/me",
    response_model=UserOut,
    operation_id="update_me",
    responses=responses(400, 401, 409, 413, 422),
)
@writes
async def update_me(body: ProfileIn, user: CurrentUser, session: SessionDep) -> UserOut:
    """Change your name or username (a username someone has is a 409), or whether your
    notifications are emailed."""
    changed = await service.update_profile(
        session,
        user.id,
        name=body.name,
        username=body.username,
        email_notifications=body.email_notifications,
    )
    return UserOut.model_validate(changed)


@router.post(
    "/me/password",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="change_password",
    responses=responses(400, 401, 403, 413, 422),
)
@reads_only
async def change_password(
    body: PasswordChangeIn, auth: SessionAuth, database: DatabaseDep, passwords: PasswordsDep
) -> Response:
    """Change the password; every other session of the account ends, and its personal tokens
    too unless `revoke_tokens` is false."""
    await service.change_password(
        database,
        passwords,
        auth,
        current=body.current_password,
        new=body.new_password,
        revoke_tokens=body.revoke_tokens,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/me/tokens",
    response_model=list[TokenOut],
    operation_id="list_tokens",
    responses=responses(401),
)
async def list_tokens(user: CurrentUser, session: SessionDep) -> list[TokenOut]:
    return [TokenOut.model_validate(t) for t in await service.list_tokens(session, user)]


@router.post(
    "/me/tokens",
    status_code=status.HTTP_201_CREATED,
    response_model=TokenIssued,
    operation_id="create_token",
    responses=responses(400, 401, 403, 413, 422),
)
@writes
async def create_token(
    body: TokenCreateIn, auth: SessionAuth, session: SessionDep, settings: SettingsDep
) -> TokenIssued:
    """A personal API token (only a signed-in session may make one; a token cannot)."""
    days = body.expires_in_days or settings.auth.personal_token_days
    token, secret = await service.issue_token(
        session,
        auth.user,
        kind=TokenKind.personal,
        name=body.name,
        expires_at=utcnow() + timedelta(days=days),
        scope=body.scope,
    )
    return _issued(token, secret)


@router.delete(
    "/me/tokens/{token_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="revoke_token",
    responses=responses(401, 403, 404, 422),
)
@writes
async def revoke_token(token_id: Id, auth: AuthDep, session: SessionDep) -> Response:
    """A signed-in session revokes any token of the account, sessions included; an API token
    only itself (so a leaked one cannot end its owner's sessions or other tokens)."""
    await service.revoke_token(session, auth, token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/invitations",
    status_code=status.HTTP_201_CREATED,
    response_model=InvitationOut,
    operation_id="create_invitation",
    responses=responses(400, 401, 403, 413, 422),
)
@writes
async def create_invitation(
    body: InvitationIn, auth: SessionAuth, session: SessionDep, settings: SettingsDep
) -> InvitationOut:
    """A one-use code that lets this email sign up while registration is invite-only."""
    days = settings.auth.invitation_days
    code = await service.invite(
        session, email=body.email, invited_by=auth.user.id, valid_for=timedelta(days=days)
    )
    return InvitationOut(email=body.email, code=code, expires_in_days=days)
