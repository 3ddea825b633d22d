"""Unsubscribe tokens: the account id and its HMAC under a key derived for this purpose only
(`keys.derive("unsubscribe")`). They do not expire (a link in an old email keeps working) and
cannot be made without the instance's key."""

from __future__ import annotations

import base64
import hashlib
import hmac

MAX_LENGTH = 80  # an id of at most 19 digits, a dot, 43 characters of MAC


def make(key: bytes, user_id: int) -> str:
    mac = hmac.new(key, str(user_id).encode(), hashlib.sha256).digest()
    return f"{user_id}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def verify(key: bytes, token: str) -> int | None:
    """The account the token was made for; None for anything else."""
    user_part = token.partition(".")[0]
    if not (user_part.isascii() and user_part.isdigit()) or len(user_part) > 19:
        return None
    user_id = int(user_part)
    return user_id if hmac.compare_digest(token.encode(), make(key, user_id).encode()) else None
