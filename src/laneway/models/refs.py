"""Rows as frozen values: who is calling and the project they call about, safe to keep in a
per-process cache (caches.py) and share between requests, unlike ORM objects, which belong to
one session and can be changed through it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from laneway.models.api_token import ApiToken, TokenKind, TokenScope
from laneway.models.project import Project
from laneway.models.user import User


@dataclass(frozen=True, slots=True)
class UserRef:
    id: int
    email: str
    name: str
    is_active: bool
    created_at: datetime
    is_admin: bool = False
    username: str = ""
    email_notifications: bool = True

    @classmethod
    def of(cls, user: User) -> UserRef:
        return cls(
            user.id,
            user.email,
            user.name,
            user.is_active,
            user.created_at,
            user.is_admin,
            user.username,
            user.email_notifications,
        )


@dataclass(frozen=True, slots=True)
class TokenRef:
    id: int
    user_id: int
    kind: TokenKind
    scope: TokenScope
    expires_at: datetime | None

    @classmethod
    def of(cls, token: ApiToken) -> TokenRef:
        return cls(token.id, token.user_id, token.kind, token.scope, token.expires_at)


@dataclass(frozen=True, slots=True)
class Authenticated:
    user: UserRef
    token: TokenRef


@dataclass(frozen=True, slots=True)
class ProjectRef:
    id: int
    key: str
    name: str
    description: str
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, project: Project) -> ProjectRef:
        return cls(
            project.id,
            project.key,
            project.name,
            project.description,
            project.archived_at,
            project.created_at,
            project.updated_at,
        )
