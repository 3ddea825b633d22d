"""Alembic, driven in-process: the CLI, `serve` on the embedded default and the tests all
apply the same migrations through these helpers."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

HERE = Path(__file__).parent


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    return config


def _run(connection: Connection, action: str, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    getattr(command, action)(config, revision)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    async with engine.begin() as conn:
        await conn.run_sync(_run, "upgrade", revision)


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(_run, "downgrade", revision)


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
    _run(connection, "downgrade" if older else "upgrade", revision or "base")


def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())
