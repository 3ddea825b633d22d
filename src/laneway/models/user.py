from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import Boolean, String, false, true
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column

from laneway.models.base import Base, BigId, UTCDateTime, utcnow

USERNAME_LENGTH = 40
_NOT_IN_A_USERNAME = re.compile(r"[^a-z0-9._-]+")


def username_from_email(email: str) -> str:
    """What a new account's username is derived from (`ada.lovelace@example.com` ->
    `ada.lovelace`), within the rules of auth/usernames.py."""
    local = email.split("@", 1)[0].lower()
    name = _NOT_IN_A_USERNAME.sub("", local).lstrip("._-")[:USERNAME_LENGTH].rstrip("._-")
    return name or "user"


def _from_email(context: DefaultExecutionContext) -> str:
    """Accounts made without one (the services always give one) get their email's."""
    return username_from_email(str(context.get_current_parameters()["email"]))  # type: ignore[no-untyped-call]


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    # what @mentions name: lowercase letters, digits, ".", "_", "-" (auth/usernames.py)
    username: Mapped[str] = mapped_column(String(USERNAME_LENGTH), unique=True, default=_from_email)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # an instance admin (`laneway set-admin`): today only a higher rate limit
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # notifications by email (when SMTP is set up); the unsubscribe link turns it off
    email_notifications: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
