"""Where an export goes (a file, written whole or not at all, or a binary stream) and where an
import comes from (a file, bytes or a binary stream), read with a bound on its size."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from laneway.transfer.errors import TransferError

Target = Path | IO[bytes]
Source = Path | bytes | IO[bytes]


@contextlib.contextmanager
def opened(target: Target) -> Iterator[IO[bytes]]:
    """A file is written under a temporary name beside it and renamed once complete, so a
    failed export never leaves a truncated file where the last good one was. Writes that fail
    (no such directory, no permission, a full disk) raise TransferError: see `written`."""
    if not isinstance(target, Path):
        yield target
        return
    with written(target):
        fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as stream:
            yield stream
        with written(target):
            os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def written(target: object) -> Iterator[None]:
    """Around writes only (an OSError elsewhere, from the database, is not about the file)."""
    try:
        yield
    except OSError as error:
        where = target if isinstance(target, Path) else "the output"
        raise TransferError(f"cannot write {where}: {error.strerror or error}") from None


def read(source: Source, limit: int, what: str) -> bytes:
    """The whole input, or a TransferError when it is larger than `limit` bytes."""
    if isinstance(source, bytes):
        data = source
    elif isinstance(source, Path):
        try:
            with source.open("rb") as stream:
                data = stream.read(limit + 1)
        except OSError as error:
            raise TransferError(f"cannot read {source}: {error.strerror or error}") from None
    else:
        data = source.read(limit + 1)
    if len(data) > limit:
        raise TransferError(f"the {what} is larger than {limit // 2**20} MiB")
    return data
