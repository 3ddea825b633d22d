"""Usernames: what an @mention names. Lowercase letters, digits, ".", "_" and "-", starting
with a letter or digit, at most 40 characters. A new account's is derived from its email
(`ada.lovelace@example.com` -> `ada.lovelace`, models/user.py), with a number added when
that is taken."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from laneway.models import User
from laneway.models.user import USERNAME_LENGTH

PATTERN = r"^[a-z0-9][a-z0-9._-]{0,39}$"
MAX_LENGTH = USERNAME_LENGTH
_MENTION = re.compile(r"(?<![\w@./-])@([a-z0-9][a-z0-9._-]{0,39})", re.IGNORECASE)


async def free(session: AsyncSession, wanted: str) -> str:
    """`wanted`, or it with the smallest number after it that nobody has."""
    stem = wanted[: MAX_LENGTH - 4]
    taken = set(
        await session.scalars(
            select(User.username).where(
                (User.username == wanted) | User.username.startswith(stem, autoescape=True)
            )
        )
    )
    if wanted not in taken:
        return wanted
    n = 2
    while f"{stem}{n}" in taken:
        n += 1
    return f"{stem}{n}"


def mentioned(text: str) -> set[str]:
    """The usernames `@name` names in a text (an email address is not a mention; a trailing
    "." or "-" ends the sentence, not the name)."""
    return {match.rstrip("._-").lower() for match in _MENTION.findall(text or "")}
