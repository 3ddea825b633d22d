"""Opaque bearer tokens: random, shown once, stored as SHA-256 with a short display prefix."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from laneway.models import TokenKind

_MARKERS = {TokenKind.session: "lws_", TokenKind.personal: "lwp_"}
PREFIX_LENGTH = 12


@dataclass(frozen=True, slots=True)
class NewToken:
    secret: str
    prefix: str
    digest: str


def generate(kind: TokenKind) -> NewToken:
    secret = _MARKERS[kind] + secrets.token_urlsafe(32)
    return NewToken(secret=secret, prefix=secret[:PREFIX_LENGTH], digest=digest(secret))


def digest(secret: str) -> str:
    # A fast hash is right here: the secret has 256 random bits, so there is nothing to brute-force.
    return hashlib.sha256(secret.encode()).hexdigest()


def generate_code(marker: str) -> str:
    """A random one-use code (invitations): stored as its digest, like tokens."""
    return marker + secrets.token_urlsafe(24)
