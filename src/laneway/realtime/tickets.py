"""Short-lived tickets that let a browser open a live socket (browsers cannot set headers on
a WebSocket). A ticket names the token it was issued under, so revoking that token ends it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Ticket:
    user_id: int
    token_id: int
    project_id: int


class Tickets:
    def __init__(self, secret: str, ttl_seconds: int) -> None:
        self._key = hashlib.sha256(b"laneway-live-ticket:" + secret.encode()).digest()
        self.ttl = ttl_seconds

    def issue(self, ticket: Ticket) -> str:
        expires = int(time.time()) + self.ttl
        body = f"{ticket.user_id}.{ticket.token_id}.{ticket.project_id}.{expires}"
        return base64.urlsafe_b64encode(f"{body}.{self._sign(body)}".encode()).decode().rstrip("=")

    def read(self, raw: str) -> Ticket | None:
        try:
            decoded = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
            body, signature = decoded.rsplit(".", 1)
            user_id, token_id, project_id, expires = (int(part) for part in body.split("."))
        except (ValueError, UnicodeDecodeError):
            return None
        if not hmac.compare_digest(signature, self._sign(body)) or expires < time.time():
            return None
        return Ticket(user_id=user_id, token_id=token_id, project_id=project_id)

    def _sign(self, body: str) -> str:
        return hmac.new(self._key, body.encode(), "sha256").hexdigest()[:32]
