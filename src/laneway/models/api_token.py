from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from laneway.models.base import Base, BigId, UTCDateTime, utcnow


class TokenKind(StrEnum):
    session = "session"
    personal = "personal"


class TokenScope(StrEnum):
    read = "read"  # safe methods only
    write = "write"


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored, so a per-request check is one indexed lookup."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[TokenKind] = mapped_column(
        Enum(TokenKind, native_enum=False, length=16, validate_strings=True)
    )
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    scope: Mapped[TokenScope] = mapped_column(
        Enum(TokenScope, native_enum=False, length=8, validate_strings=True),
        default=TokenScope.write,
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
