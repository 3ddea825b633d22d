from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from laneway.auth.usernames import MAX_LENGTH, PATTERN
from laneway.kit.schemas import ONE_LINE, Email, RequestModel, ResponseModel, Text
from laneway.models import TokenKind, TokenScope

Password = Annotated[Text, StringConstraints(min_length=8, max_length=256)]
Name = Annotated[Text, StringConstraints(min_length=1, max_length=200), ONE_LINE]


class RegisterIn(RequestModel):
    email: Email
    password: Password
    name: Name
    invitation: Annotated[Text, StringConstraints(min_length=1, max_length=100)] | None = Field(
        default=None, description="The invitation code, when registration is invite-only."
    )


class LoginIn(RequestModel):
    email: Email
    password: Annotated[Text, StringConstraints(min_length=1, max_length=256)]


class TokenCreateIn(RequestModel):
    name: Annotated[Text, StringConstraints(min_length=1, max_length=100), ONE_LINE]
    scope: Annotated[TokenScope, Field(strict=False)] = Field(
        default=TokenScope.write, description="`read`: GET requests and live streams only."
    )
    expires_in_days: int | None = Field(
        default=None,
        ge=1,
        le=3650,
        description="Default: the server's LANEWAY_AUTH_PERSONAL_TOKEN_DAYS.",
    )


class PasswordChangeIn(RequestModel):
    current_password: Annotated[Text, StringConstraints(min_length=1, max_length=256)]
    new_password: Password
    revoke_tokens: bool = Field(
        default=True,
        description="End the account's personal API tokens too (its other sessions always "
        "end). Keep them (`false`) only when nobody else can have known the old password.",
    )


class InvitationIn(RequestModel):
    email: Email


class InvitationOut(ResponseModel):
    email: str
    code: str = Field(description="Give it to the invitee; it is shown only once.")
    expires_in_days: int


Username = Annotated[
    Text,
    StringConstraints(pattern=PATTERN, min_length=1, max_length=MAX_LENGTH),
    Field(
        description="Lowercase letters, digits, '.', '_' and '-', starting with a letter or digit."
    ),
]


class ProfileIn(RequestModel):
    name: Name | None = None
    username: Username | None = None
    email_notifications: bool | None = Field(
        default=None, description="Email your notifications (when the server sends email)."
    )


class UserOut(ResponseModel):
    id: int
    email: str
    name: str
    username: str = Field(description="What an @mention names; derived from the email at first.")
    email_notifications: bool = Field(
        description="Your notifications are emailed, in batches (when the server sends email)."
    )
    created_at: datetime


class TokenOut(ResponseModel):
    id: int
    kind: TokenKind
    name: str
    prefix: str
    scope: TokenScope
    created_at: datetime
    expires_at: datetime | None


class TokenIssued(TokenOut):
    token: str = Field(description="The bearer token. Shown only once; store it safely.")
