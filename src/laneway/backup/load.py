"""Restore: an archive into an empty instance, all in one transaction.

The database is migrated to the archive's revision, the rows go in in foreign-key order,
PostgreSQL's sequences move past the restored ids, and the database is upgraded to this code's
head: a failure anywhere leaves the database as it was.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import DataError, IntegrityError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from laneway import migrations
from laneway.backup import schema
from laneway.backup.archive import ArchiveReader, BackupError, TableInfo
from laneway.backup.progress import SILENT, Progress

BATCH = 500
# Made by every server that starts on the empty database (its signing key): not data, and the
# archive's key replaces it, so what the old instance signed stays valid.
REPLACED = frozenset({"instance_secrets"})
# Kept by triggers on `tasks` while tasks are inserted: loaded last, over what they made.
TRIGGER_FILLED = frozenset({"status_counts"})


async def restore(
    engine: AsyncEngine,
    reader: ArchiveReader,
    *,
    to_head: bool = True,
    progress: Progress = SILENT,
) -> None:
    manifest = reader.manifest
    if not migrations.known(manifest.revision):
        raise BackupError(
            f"the archive is at revision {manifest.revision}, newer than this laneway "
            f"(its newest is {migrations.head()}): restore it with a newer laneway"
        )
    async with engine.begin() as connection:
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
