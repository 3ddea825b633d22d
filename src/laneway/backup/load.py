"""Restore: an archive into an empty instance, all in one transaction.

The database is migrated to the archive's revision, the rows go in in foreign-key order,
PostgreSQL's sequences move past the restored ids, and the database is upgraded to this code's
head: a failure anywhere leaves the database as it was. The archive's attachment files go where
the restored instance keeps new ones: into the file store (written before the commit, removed
again if it fails) or into their rows (moving from SQLite to PostgreSQL moves them into the
database, which every replica reaches).
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import DataError, IntegrityError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from laneway import migrations
from laneway.backup import schema
from laneway.backup.archive import ArchiveReader, BackupError, FileInfo, TableInfo
from laneway.backup.progress import SILENT, Progress
from laneway.blobs.store import TEMPORARY_PREFIX, attachment_id_of
from laneway.config import AttachmentStore

BATCH = 500
# Made by every server that starts on the empty database (its signing key): not data, and the
# archive's key replaces it, so what the old instance signed stays valid.
REPLACED = frozenset({"instance_secrets"})
# Kept by triggers on `tasks` while tasks are inserted: loaded last, over what they made.
TRIGGER_FILLED = frozenset({"status_counts"})


@dataclass(frozen=True, slots=True)
class FilesTarget:
    """Where the archive's attachment files go: the file store's directory, or (`database`)
    the rows' `data`, their store then `database`."""

    directory: Path
    store: AttachmentStore = AttachmentStore.files


async def restore(
    engine: AsyncEngine,
    reader: ArchiveReader,
    *,
    to_head: bool = True,
    progress: Progress = SILENT,
    files: FilesTarget | None = None,
) -> None:
    manifest = reader.manifest
    if manifest.files and files is None:
        raise BackupError(
            f"the archive holds {len(manifest.files)} attachment files: give where they go"
        )
    written: list[Path] = []
    try:
        await _restore(engine, reader, to_head, progress, files, written)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise


async def _restore(
    engine: AsyncEngine,
    reader: ArchiveReader,
    to_head: bool,
    progress: Progress,
    files: FilesTarget | None,
    written: list[Path],
) -> None:
    manifest = reader.manifest
    if not migrations.known(manifest.revision):
        raise BackupError(
            f"the archive is at revision {manifest.revision}, newer than this laneway "
            f"(its newest is {migrations.head()}): restore it with a newer laneway"
        )
    # foreign keys off on SQLite while it migrates (a batch migration's copy of `users` would
    # otherwise delete every row that points at it), checked before it commits
    async with migrations.transaction(engine) as connection:
        at = await connection.run_sync(migrations.revision_of)
        if not migrations.known(at):
            raise BackupError(f"the database is at revision {at}, unknown to this laneway")
        await _refuse_unless_empty(connection)
        progress.start(sum(table.rows for table in manifest.tables))
        await connection.run_sync(migrations.move_to, manifest.revision)
        tables = {table.name: table for table in await connection.run_sync(schema.tables)}
        first = [t for t in manifest.tables if t.name not in TRIGGER_FILLED]
        for info in first + [t for t in manifest.tables if t.name in TRIGGER_FILLED]:
            table = _target(tables, info, manifest.revision)
            await _load(connection, reader, info, table, progress)
        if files is not None and manifest.files:
            await _place_files(
                connection, reader, manifest.files, tables["attachments"], files, written
            )
        if connection.dialect.name == "postgresql":
            await _reset_sequences(connection, tables.values())
        if to_head:
            await connection.run_sync(migrations.move_to, migrations.head())


async def _refuse_unless_empty(connection: AsyncConnection) -> None:
    for table in await connection.run_sync(schema.tables):
        if table.name in REPLACED:
            continue
        if (await connection.execute(sa.select(1).select_from(table).limit(1))).first():
            raise BackupError(
                f"the database is not empty (table {table.name} has rows): restore only into "
                "an empty instance (see docs/backup.md, 'Reset an instance')"
            )


def _target(tables: dict[str, sa.Table], info: TableInfo, revision: str | None) -> sa.Table:
    table = tables.get(info.name)
    if table is None or {c.name for c in info.columns} != set(table.columns.keys()):
        raise BackupError(
            f"table {info.name}: the archive's columns do not match the database at "
            f"revision {revision}"
        )
    return table


async def _load(
    connection: AsyncConnection,
    reader: ArchiveReader,
    info: TableInfo,
    table: sa.Table,
    progress: Progress,
) -> None:
    if info.name in REPLACED | TRIGGER_FILLED:
        await connection.execute(sa.delete(table))
    deferred = schema.self_references(info.name)
    later: dict[str, list[dict[str, Any]]] = {column: [] for column in deferred}
    batch: list[dict[str, Any]] = []
    try:
        for row in reader.rows(info):
            for column in deferred:
                if row[column] is not None:
                    later[column].append({**_key(table, row), "b_value": row[column]})
                    row[column] = None
            batch.append(row)
            if len(batch) == BATCH:
                await connection.execute(sa.insert(table), batch)
                progress.advance(len(batch))
                batch.clear()
        if batch:
            await connection.execute(sa.insert(table), batch)
            progress.advance(len(batch))
        for column, values in later.items():
            if values:
                await connection.execute(_fill(table, column), values)
    except (IntegrityError, DataError, ProgrammingError) as error:
        first_line = str(error.orig or error).splitlines()[0]
        raise BackupError(f"table {info.name}: {first_line}") from None


async def _place_files(
    connection: AsyncConnection,
    reader: ArchiveReader,
    infos: Iterable[FileInfo],
    table: sa.Table,
    target: FilesTarget,
    written: list[Path],
) -> None:
    """Each file checked against the manifest as it is copied out of the archive."""
    if target.store == AttachmentStore.database:
        into_row = (
            sa.update(table)
            .where(table.c.id == sa.bindparam("b_id"))
            .values(data=sa.bindparam("b_data"), store=AttachmentStore.database.value)
        )
        for info in infos:
            buffer = io.BytesIO()
            reader.copy_file(info, buffer)
            values = {"b_id": attachment_id_of(info.name), "b_data": buffer.getvalue()}
            await connection.execute(into_row, values)
        return
    directory = target.directory
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for info in infos:
            fd, temporary = tempfile.mkstemp(
                prefix=TEMPORARY_PREFIX, suffix=".partial", dir=directory
            )
            written.append(Path(temporary))
            with os.fdopen(fd, "wb") as stream:
                reader.copy_file(info, stream)
                stream.flush()
                os.fsync(stream.fileno())
            final = directory / info.name
            os.replace(temporary, final)
            written[-1] = final
    except OSError as error:
        raise BackupError(f"cannot write to {directory}: {error.strerror or error}") from None


def _key(table: sa.Table, row: dict[str, Any]) -> dict[str, Any]:
    return {f"b_{c.name}": row[c.name] for c in table.primary_key.columns}


def _fill(table: sa.Table, column: str) -> sa.Update:
    where = [c == sa.bindparam(f"b_{c.name}") for c in table.primary_key.columns]
    return sa.update(table).where(*where).values({column: sa.bindparam("b_value")})


async def _reset_sequences(connection: AsyncConnection, tables: Iterable[sa.Table]) -> None:
    """setval past the largest id, so the next row made gets a new one. (SQLite needs no
    step: a rowid table takes max(id) + 1, and SQLite moves an AUTOINCREMENT table's
    sqlite_sequence itself when ids are inserted.)"""
    for table in tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, sa.Integer):
            continue
        key = keys[0]
        sequence = (
            await connection.execute(
                sa.select(sa.func.pg_get_serial_sequence(table.name, key.name))
            )
        ).scalar()
        if sequence is None:
            continue
        top = sa.func.max(key)
        await connection.execute(
            sa.select(
                sa.func.setval(sequence, sa.func.coalesce(top, 1), top.is_not(None))
            ).select_from(table)
        )
