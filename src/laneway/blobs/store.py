"""Where an attachment's bytes live: in its row (the database store) or in a file of its own
under `{data_dir}/attachments/` (the file store); the row's `store` says which.

A file is written under a temporary name, flushed to disk and renamed to its final name in the
transaction that adds the row, before the commit: a rolled-back transaction removes it again
(rollback listener), a committed deletion removes it after the commit (commit listener), and
the housekeeping removes what a crash left between the two (a file without a row).

Final names are `{id}-{created_at}`: SQLite gives the id of the newest deleted row to the next
one, so the id alone could name two attachments in turn, and the late removal of the first's
file would take the second's.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Annotated

import anyio
import structlog
from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from laneway.blobs import content, repository
from laneway.commits import Changes, pending
from laneway.config import AttachmentStore
from laneway.errors import PayloadTooLarge, ServiceUnavailable
from laneway.models import Attachment

log = structlog.get_logger("laneway.attachments")

CHUNK = 1024 * 1024
TEMPORARY_PREFIX = ".upload-"
_FINAL = re.compile(r"^([0-9]{1,19})-([0-9]{20})$")


def file_name(attachment_id: int, created_at: datetime) -> str:
    return f"{attachment_id}-{created_at.astimezone(UTC):%Y%m%d%H%M%S%f}"


def attachment_id_of(name: str) -> int | None:
    """The id a file store name is for; None for a name the store never gives."""
    found = _FINAL.match(name)
    return int(found.group(1)) if found else None


@dataclass(slots=True)
class Staged:
    """An upload read whole: measured, hashed and sniffed, its bytes in memory (database store)
    or in a temporary file beside the final ones (file store)."""

    name: str
    media_type: str
    size: int
    sha256: str
    data: bytes | None = None
    temporary: Path | None = None
    placed: bool = field(default=False)

    def discard(self) -> None:
        """Removes the temporary file unless it became an attachment's file."""
        if self.temporary is not None and not self.placed:
            self.temporary.unlink(missing_ok=True)


class AttachmentStorage:
    def __init__(self, store: AttachmentStore, directory: Path, max_bytes: int) -> None:
        if store is AttachmentStore.auto:
            raise ValueError("resolve `auto` first (Settings.attachment_store)")
        self.store = store
        self.directory = directory
        self.max_bytes = max_bytes

    def path(self, attachment: Attachment) -> Path:
        return self.directory / file_name(attachment.id, attachment.created_at)

    async def stage(self, source: IO[bytes], filename: str | None) -> Staged:
        """Reads the upload (in a worker thread): over `max_bytes` is a 413 and keeps nothing."""
        return await anyio.to_thread.run_sync(self._stage, source, content.clean_name(filename))

    def _stage(self, source: IO[bytes], name: str) -> Staged:
        source.seek(0)
        if self.store is AttachmentStore.database:
            data = source.read(self.max_bytes + 1)
            self._check_size(len(data))
            return Staged(
                name=name,
                media_type=content.media_type(data[: content.HEAD_BYTES], whole=True),
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                data=data,
            )
        fd, temporary = self._temporary()
        try:
            digest, size, head = hashlib.sha256(), 0, b""
            with os.fdopen(fd, "wb") as target:
                while chunk := source.read(CHUNK):
                    size += len(chunk)
                    self._check_size(size)
                    if len(head) < content.HEAD_BYTES:
                        head += chunk[: content.HEAD_BYTES - len(head)]
                    digest.update(chunk)
                    target.write(chunk)
                target.flush()
                os.fsync(target.fileno())
        except OSError as error:
            temporary.unlink(missing_ok=True)
            raise _unavailable(error) from None
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        return Staged(
            name=name,
            media_type=content.media_type(head, whole=size <= len(head)),
            size=size,
            sha256=digest.hexdigest(),
            temporary=temporary,
        )

    def _check_size(self, size: int) -> None:
        if size > self.max_bytes:
            raise PayloadTooLarge(f"The file exceeds the limit of {self.max_bytes} bytes.")

    def _temporary(self) -> tuple[int, Path]:
        """A new empty file (mode 0600) beside the final ones, so the rename never copies."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(
                prefix=TEMPORARY_PREFIX, suffix=".partial", dir=self.directory
            )
        except OSError as error:
            raise _unavailable(error) from None
        return fd, Path(name)

    def place(self, session: AsyncSession, staged: Staged, attachment: Attachment) -> None:
        """A flushed row's file under its final name, removed again if the transaction rolls
        back (the row must have its id and created_at)."""
        if staged.temporary is None:
            return
        final = self.path(attachment)
        try:
            staged.temporary.replace(final)
        except OSError as error:
            raise _unavailable(error) from None
        staged.placed = True
        pending(session).attachment_files_written.append(final.name)

    async def open(self, attachment: Attachment) -> IO[bytes] | None:
        """The attachment's file opened for reading, or None when it is missing. Open, it
        stays readable to the end even if the attachment is deleted meanwhile."""
        try:
            return await anyio.to_thread.run_sync(self.path(attachment).open, "rb")
        except FileNotFoundError:
            log.error("attachment file missing", attachment_id=attachment.id)
            return None

    def after_commit(self, changes: Changes) -> None:
        self._remove(changes.attachment_files_deleted)

    def after_rollback(self, changes: Changes) -> None:
        self._remove(changes.attachment_files_written)

    def _remove(self, names: list[str]) -> None:
        for name in names:
            try:
                (self.directory / name).unlink(missing_ok=True)
            except OSError as error:  # the housekeeping removes it later
                log.warning("attachment file not removed", file=name, error=str(error))


def forget(session: AsyncSession, attachment: Attachment) -> None:
    """The attachment's row is deleted in this transaction: its file goes after the commit."""
    if attachment.store == AttachmentStore.files:
        pending(session).attachment_files_deleted.append(
            file_name(attachment.id, attachment.created_at)
        )


async def forget_task(session: AsyncSession, task_id: int) -> None:
    """The task is deleted in this transaction (its attachments' rows by cascade): their files
    go after the commit."""
    rows = await repository.stored_as_files(session, task_id)
    pending(session).attachment_files_deleted.extend(file_name(i, at) for i, at in rows)


async def chunks(file: IO[bytes]) -> AsyncIterator[bytes]:
    """A file's bytes for a streaming response, read in a worker thread; closed at the end."""
    try:
        while chunk := await anyio.to_thread.run_sync(file.read, CHUNK):
            yield chunk
    finally:
        file.close()


def _unavailable(error: OSError) -> ServiceUnavailable:
    log.error("attachment file store failed", error=str(error))
    return ServiceUnavailable("The file cannot be stored right now; retry shortly.", retry_after=30)


async def get_storage(connection: HTTPConnection) -> AttachmentStorage:
    storage: AttachmentStorage = connection.app.state.laneway.attachments
    return storage


AttachmentStorageDep = Annotated[AttachmentStorage, Depends(get_storage)]
