"""Backup: every table read in one snapshot and streamed, row by row, into the archive; then the
files of the attachments that snapshot keeps as files."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from laneway import __version__, migrations
from laneway.backup import schema
from laneway.backup.archive import (
    ArchiveWriter,
    BackupError,
    Digest,
    FileInfo,
    Manifest,
    TableInfo,
    encode_row,
)
from laneway.backup.progress import SILENT, Progress
from laneway.blobs.store import file_name
from laneway.config import AttachmentStore

# rows per fetch from the server-side cursor: memory stays flat whatever the table's size
BATCH = 1000


@asynccontextmanager
async def snapshot(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """One view of the whole database, whatever commits meanwhile: a REPEATABLE READ, READ
    ONLY transaction on PostgreSQL; on SQLite one read transaction, which WAL holds at the
    state of its first read."""
    async with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        async with connection.begin():
            yield connection


async def canonical_batches(
    connection: AsyncConnection, table: sa.Table
) -> AsyncIterator[list[bytes]]:
    """The table's canonical lines in primary-key order, a batch at a time."""
    columns = schema.columns(table)
    statement = sa.select(table).order_by(*schema.order(table, connection.dialect.name))
    result = await connection.stream(statement)
    async for rows in result.partitions(BATCH):
        yield [encode_row(row, columns) for row in rows]


async def _revision(connection: AsyncConnection) -> str | None:
    revision = await connection.run_sync(migrations.revision_of)
    if not migrations.known(revision):
        raise BackupError(
            f"the database is at revision {revision}, which this laneway does not know "
            f"(its newest is {migrations.head()}): use the laneway version that runs it"
        )
    return revision


async def _count(connection: AsyncConnection, table: sa.Table) -> int:
    return (await connection.execute(sa.select(sa.func.count()).select_from(table))).scalar_one()


async def backup(
    engine: AsyncEngine,
    path: Path,
    progress: Progress = SILENT,
    *,
    attachments: Path | None = None,
) -> Manifest:
    """`attachments`: the attachment file store's directory (LANEWAY_DATA_DIR/attachments);
    needed when any attachment is kept as a file."""
    async with snapshot(engine) as connection:
        revision = await _revision(connection)
        tables = await connection.run_sync(schema.tables)
        progress.start(sum([await _count(connection, table) for table in tables]))
        infos = []
        with ArchiveWriter(path) as writer:
            for table in tables:
                with writer.table(table.name) as sink:
                    async for batch in canonical_batches(connection, table):
                        for line in batch:
                            sink.write(line)
                        progress.advance(len(batch))
                infos.append(
                    TableInfo(
                        name=table.name,
                        rows=sink.digest.rows,
                        sha256=sink.digest.hexdigest(),
                        primary_key=tuple(c.name for c in table.primary_key.columns),
                        columns=schema.columns(table),
                    )
                )
            names = await _stored_as_files(connection, tables)
            files: tuple[FileInfo, ...] = ()
            missing: tuple[str, ...] = ()
            if names:
                if attachments is None:
                    raise BackupError(
                        f"{len(names)} attachments are kept as files: give their directory"
                    )
                files, missing = _copy_files(writer, attachments, names)
            manifest = Manifest(
                laneway_version=__version__,
                revision=revision,
                created_at=datetime.now(UTC),
                backend=cast(Literal["sqlite", "postgresql"], connection.dialect.name),
                tables=tuple(infos),
                files=files,
                missing_files=missing,
            )
            writer.commit(manifest)
    return manifest


async def _stored_as_files(connection: AsyncConnection, tables: list[sa.Table]) -> list[str]:
    """The store's names of the snapshot's attachments kept as files (none before 0008)."""
    table = next((t for t in tables if t.name == "attachments"), None)
    if table is None:
        return []
    rows = await connection.execute(
        sa.select(table.c.id, table.c.created_at)
        .where(table.c.store == AttachmentStore.files.value)
        .order_by(table.c.id)
    )
    return [file_name(attachment_id, created_at) for attachment_id, created_at in rows]


def _copy_files(
    writer: ArchiveWriter, directory: Path, names: list[str]
) -> tuple[tuple[FileInfo, ...], tuple[str, ...]]:
    """Each file into the archive; the names of those gone meanwhile (an attachment deleted
    after the snapshot began: its file goes once the deletion commits)."""
    files, missing = [], []
    for name in names:
        try:
            source = (directory / name).open("rb")
        except FileNotFoundError:
            missing.append(name)
            continue
        except OSError as error:
            raise BackupError(f"cannot read {directory / name}: {error.strerror}") from None
        with source:
            files.append(writer.add_file(name, source))
    return tuple(files), tuple(missing)


async def fingerprint(engine: AsyncEngine) -> dict[str, Digest]:
    """Each table's row count and checksum, as a backup of it would list them."""
    digests = {}
    async with snapshot(engine) as connection:
        await _revision(connection)
        for table in await connection.run_sync(schema.tables):
            digest = digests[table.name] = Digest()
            async for batch in canonical_batches(connection, table):
                for line in batch:
                    digest.add(line)
    return digests
