"""argon2id password hashing, run off the event loop (a hash costs tens of milliseconds)."""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends
from starlette.requests import HTTPConnection

from laneway.config import AuthSettings


class Passwords:
    def __init__(self, settings: AuthSettings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
        )
        # Verified against when the account does not exist, so both paths cost the same.
        self._decoy = self._hasher.hash("laneway-decoy-password")

    async def hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        return await anyio.to_thread.run_sync(self._verify, password_hash, password)

    def _verify(self, password_hash: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash or self._decoy, password) and (
                password_hash is not None
            )
        except (VerificationError, InvalidHashError):
            return False


async def get_passwords(connection: HTTPConnection) -> Passwords:
    passwords: Passwords = connection.app.state.laneway.passwords
    return passwords


PasswordsDep = Annotated[Passwords, Depends(get_passwords)]
