"""Alembic, driven in-process: the CLI, `serve` on the embedded default and the tests all
apply the same migrations through these helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

HERE = Path(__file__).parent


class BrokenReferences(Exception):
    """A migration left rows that point at rows which are gone (its transaction is undone)."""


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    return config


def run(connection: Connection, action: str, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    getattr(command, action)(config, revision)


@asynccontextmanager
async def transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection in one transaction for migrations to run in.

    On SQLite, Alembic's batch mode changes a table by copying it into a new one and dropping
    the old: with foreign keys enforced, that drop deletes every row pointing at the table (or
    fails on the first that cannot be deleted). So foreign keys are off for the transaction
    (SQLite ignores the pragma inside one) and every reference is checked before it commits."""
    async with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            await conn.run_sync(_enforce_foreign_keys, False)
        try:
            async with conn.begin():
                yield conn
                if sqlite:
                    await conn.run_sync(_check_references)
        finally:
            if sqlite and not conn.invalidated:  # an invalidated connection is never reused
                await conn.run_sync(_enforce_foreign_keys, True)


def _enforce_foreign_keys(connection: Connection, on: bool) -> None:
    # on the driver's connection: through SQLAlchemy the statement would begin a transaction
    cursor = connection.connection.cursor()
    try:
        cursor.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    finally:
        cursor.close()


def _check_references(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        pairs = sorted({f"{table} -> {parent}" for table, _rowid, parent, _fk in broken})
        raise BrokenReferences(
            f"{len(broken)} rows would point at rows that are gone ({', '.join(pairs)})"
        )


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    async with transaction(engine) as conn:
        await conn.run_sync(run, "upgrade", revision)


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    async with transaction(engine) as conn:
        await conn.run_sync(run, "downgrade", revision)


def revision_of(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def current(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(revision_of)


def head() -> str | None:
    return _script().get_current_head()


def known(revision: str | None) -> bool:
    """Whether this code has `revision` (None, an empty database, always is)."""
    if revision is None:
        return True
    return revision in {script.revision for script in _script().walk_revisions()}


def move_to(connection: Connection, revision: str | None) -> None:
    """Upgrade or downgrade the connection's database to `revision` (None: no tables), inside
    the connection's transaction (a restore migrates and loads in one transaction)."""
    at = revision_of(connection)
    if at == revision:
        return
    older = at is not None and (
        revision is None
        or revision in {script.revision for script in _script().iterate_revisions(at, "base")}
    )
    run(connection, "downgrade" if older else "upgrade", revision or "base")


def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())
