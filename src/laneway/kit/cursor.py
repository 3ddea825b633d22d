"""Opaque, signed pagination cursors.

A cursor carries the keyset position and the scope it was made for (which list, which sort,
which filters); a cursor that was tampered with, is malformed, or belongs to another list is a
422, never a 500.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Callable
from typing import Annotated, Any

import orjson
from fastapi import Depends
from starlette.requests import HTTPConnection

from laneway.errors import FieldError, UnprocessableContent

_SIG_BYTES = 12


class CursorCodec:
    def __init__(self, key: Callable[[], bytes]) -> None:
        self._get_key = key  # asked on first use: the instance key may load after start-up
        self._key: bytes | None = None

    def _sign(self, scope: str, payload: bytes) -> bytes:
        if self._key is None:
            self._key = self._get_key()
        return hmac.new(self._key, scope.encode() + b"\x00" + payload, "sha256").digest()[
            :_SIG_BYTES
        ]

    def encode(self, scope: str, position: list[Any]) -> str:
        payload = orjson.dumps(position)
        token = payload + self._sign(scope, payload)
        return base64.urlsafe_b64encode(token).rstrip(b"=").decode()

    def decode(self, scope: str, cursor: str) -> list[Any]:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        except (binascii.Error, ValueError):
            raise _invalid() from None
        payload, signature = raw[:-_SIG_BYTES], raw[-_SIG_BYTES:]
        if len(raw) <= _SIG_BYTES or not hmac.compare_digest(signature, self._sign(scope, payload)):
            raise _invalid()
        position = orjson.loads(payload)
        if not isinstance(position, list):
            raise _invalid()
        return position


def _invalid() -> UnprocessableContent:
    return UnprocessableContent(
        "The cursor is not valid for this list; start again without it.",
        errors=[FieldError(loc=["query", "cursor"], msg="invalid cursor", type="cursor_invalid")],
    )


async def get_cursors(connection: HTTPConnection) -> CursorCodec:
    cursors: CursorCodec = connection.app.state.laneway.cursors
    return cursors


CursorsDep = Annotated[CursorCodec, Depends(get_cursors)]
