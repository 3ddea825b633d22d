from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request, Response, status

from laneway.auth import service
from laneway.auth.deps import AuthDep, CurrentUser
from laneway.auth.schemas import LoginIn, RegisterIn, TokenCreateIn, TokenIssued, TokenOut, UserOut
from laneway.db import SessionDep
from laneway.errors import Forbidden, responses
from laneway.kit.schemas import Id
from laneway.models import ApiToken, TokenKind
from laneway.models.base import utcnow
from laneway.state import StateDep

router = APIRouter(tags=["auth"])


def _issued(token: ApiToken, secret: str) -> TokenIssued:
    return TokenIssued(**TokenOut.model_validate(token).model_dump(), token=secret)


@router.post(
    "/auth/register",
    status_code=status.HTTP_201_CREATED,
    response_model=UserOut,
    operation_id="register",
    responses=responses(400, 403, 409, 413, 422),
)
async def register(body: RegisterIn, session: SessionDep, state: StateDep) -> UserOut:
    if not state.settings.auth.allow_registration:
        raise Forbidden("Registration is closed on this server; ask an administrator.")
    user = await service.register(
        session, state.passwords, email=body.email, password=body.password, name=body.name
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
    session: SessionDep,
    state: StateDep,
) -> TokenIssued:
    client_ip = request.client.host if request.client else "unknown"
    await state.login_limiter.hit(service.normalize_email(body.email), client_ip)
    ttl = timedelta(hours=state.settings.auth.session_ttl_hours)
    token, secret = await service.login(
        session, state.passwords, email=body.email, password=body.password, session_ttl=ttl
    )
    return _issued(token, secret)


@router.post(
    "/auth/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="logout",
    responses=responses(401),
)
async def logout(auth: AuthDep, session: SessionDep) -> Response:
    await service.revoke_token(session, auth.user, auth.token.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", response_model=UserOut, operation_id="get_me", responses=responses(401))
async def me(user: CurrentUser) -> UserOut:
    return UserOut.model_validate(user)


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
    responses=responses(400, 401, 413, 422),
)
async def create_token(body: TokenCreateIn, user: CurrentUser, session: SessionDep) -> TokenIssued:
    expires_at = utcnow() + timedelta(days=body.expires_in_days) if body.expires_in_days else None
    token, secret = await service.issue_token(
        session, user, kind=TokenKind.personal, name=body.name, expires_at=expires_at
    )
    return _issued(token, secret)


@router.delete(
    "/me/tokens/{token_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="revoke_token",
    responses=responses(401, 404, 422),
)
async def revoke_token(token_id: Id, user: CurrentUser, session: SessionDep) -> Response:
    await service.revoke_token(session, user, token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
