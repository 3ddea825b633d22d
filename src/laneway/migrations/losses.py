"""What a downgrade would delete, known before it runs.

The migrations are replayed on an empty in-memory SQLite database, so the tables and columns a
downgrade drops are read from the schema itself rather than kept in a list beside each
revision; the rows they hold are then counted in the real database.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from laneway import migrations

# SQLite's search index: rebuilt from `tasks`, never data of its own
_DERIVED = ("tasks_fts",)
Schema = dict[str, set[str]]


@dataclass(frozen=True, slots=True)
class Loss:
    table: str
    column: str | None  # None: the whole table goes
    rows: int

    def __str__(self) -> str:
        what = self.table if self.column is None else f"{self.table}.{self.column}"
        return f"{what} ({self.rows} row{'' if self.rows == 1 else 's'})"


@dataclass(frozen=True, slots=True)
class Plan:
    at: str | None
    target: str | None
    losses: list[Loss]


def _schema(connection: Connection) -> Schema:
    inspector = sa.inspect(connection)
    return {
        table: {column["name"] for column in inspector.get_columns(table)}
        for table in inspector.get_table_names()
        if table != "alembic_version" and not table.startswith(_DERIVED)
    }


def _replay(at: str, revision: str) -> tuple[str | None, Schema, Schema]:
    """The revision `downgrade revision` reaches from `at`, and the schema before and after.
    Alembic resolves `revision` here (`-1`, a prefix, `base`) and refuses a bad one."""
    engine = sa.create_engine("sqlite://")
    try:
        with engine.begin() as connection:
            migrations.move_to(connection, at)
            before = _schema(connection)
            migrations.run(connection, "downgrade", revision)
            return migrations.revision_of(connection), before, _schema(connection)
    finally:
        engine.dispose()


def _dropped(before: Schema, after: Schema) -> list[tuple[str, str | None]]:
    gone: list[tuple[str, str | None]] = [(table, None) for table in before if table not in after]
    for table, columns in after.items():
        gone += [(table, column) for column in sorted(before.get(table, set()) - columns)]
    return gone


def _count(connection: Connection, table: str, column: str | None) -> int:
    rows = sa.table(table, *([sa.column(column)] if column else []))
    query = sa.select(sa.func.count()).select_from(rows)
    if column is not None:
        query = query.where(rows.c[column].is_not(None))
    return int(connection.execute(query).scalar_one())


async def plan(engine: AsyncEngine, revision: str) -> Plan:
    """Where `downgrade revision` goes from the database's revision, and the rows it deletes
    (tables dropped, and values of columns dropped from tables that stay)."""
    at = await migrations.current(engine)
    if at is None:
        return Plan(None, None, [])
    target, before, after = _replay(at, revision)
    gone = _dropped(before, after)

    def count(connection: Connection) -> list[Loss]:
        losses = [Loss(table, column, _count(connection, table, column)) for table, column in gone]
        return [loss for loss in losses if loss.rows]

    async with engine.connect() as connection:
        return Plan(at, target, await connection.run_sync(count))
