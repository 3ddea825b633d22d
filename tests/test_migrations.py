"""The migrations build exactly the schema the models describe, and unwind cleanly."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from asgi_lifespan import LifespanManager
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from laneway import migrations
from laneway.app import create_app
from laneway.db import create_engine
from laneway.migrations import BrokenReferences
from laneway.models import Base
from tests.conftest import BACKENDS, drop_database_behind, make_settings, new_database
from tests.support import Api
from tests.test_backup import populate


@pytest.fixture(params=BACKENDS)
async def empty_engine(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[AsyncEngine]:
    if request.param == "sqlite":
        engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
        yield engine
        await engine.dispose()
        return
    name, url = new_database("laneway_mig")
    engine = create_async_engine(url)
    yield engine
    await engine.dispose()
    drop_database_behind(name)


# Backend-specific search and label indexes live only in the migrations, not in the models.
_BACKEND_ONLY = {"search", "ix_tasks_search", "ix_tasks_labels", "tasks_fts"}


def _include(obj: Any, name: str | None, kind: str, reflected: bool, compare_to: Any) -> bool:
    return not (name in _BACKEND_ONLY or (name or "").startswith("tasks_fts"))


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_object": _include}
    )
    return list(compare_metadata(context, Base.metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


async def test_migrations_match_the_models(empty_engine: AsyncEngine) -> None:
    await migrations.upgrade(empty_engine)
    async with empty_engine.connect() as conn:
        assert await conn.run_sync(_diff) == []
    assert await migrations.current(empty_engine) == migrations.head()


async def test_downgrade_to_base_and_up_again(empty_engine: AsyncEngine) -> None:
    await migrations.upgrade(empty_engine)
    await migrations.downgrade(empty_engine, "base")
    async with empty_engine.connect() as conn:
        assert await conn.run_sync(_tables) == set()
    await migrations.upgrade(empty_engine)
    async with empty_engine.connect() as conn:
        tables = await conn.run_sync(_tables)
    model_tables = {t.name for t in Base.metadata.sorted_tables}
    search_tables = {name for name in tables if name.startswith("tasks_fts")}
    assert tables - search_tables == model_tables


async def test_existing_projects_get_the_default_workflow(empty_engine: AsyncEngine) -> None:
    await migrations.upgrade(empty_engine, "0001")
    async with empty_engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO projects (key, name, description, created_at, updated_at)"
                " VALUES ('OLD', 'Old project', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
    await migrations.upgrade(empty_engine)
    async with empty_engine.connect() as conn:
        statuses = (
            await conn.execute(text("SELECT name, position FROM statuses ORDER BY position"))
        ).all()
        counts = (await conn.execute(text("SELECT count FROM status_counts"))).scalars().all()
        counters = (
            await conn.execute(text("SELECT task_seq, event_seq FROM project_counters"))
        ).all()
    assert [name for name, _ in statuses] == ["Todo", "In Progress", "In Review", "Issue", "Done"]
    assert counts == [0] * 5
    assert [tuple(c) for c in counters] == [(0, 0)]


Snapshot = dict[str, dict[str, list[Any]]]


def _snapshot(connection: Connection) -> Snapshot:
    """Every table's values, column by column, in primary-key order."""
    inspector = inspect(connection)
    found: Snapshot = {}
    for name in _tables(connection):
        if name.startswith("tasks_fts"):  # SQLite's search index, rebuilt from tasks
            continue
        columns = [column["name"] for column in inspector.get_columns(name)]
        order = inspector.get_pk_constraint(name)["constrained_columns"]
        table = sa.table(name, *(sa.column(column) for column in columns))
        rows = connection.execute(sa.select(table).order_by(*(table.c[c] for c in order))).all()
        found[name] = {column: [row[i] for row in rows] for i, column in enumerate(columns)}
    return found


def _changed(before: Snapshot, after: Snapshot, kept: Snapshot) -> list[str]:
    """The columns of `kept`'s tables, in both snapshots, whose values differ."""
    return [
        f"{table}.{column}"
        for table in sorted(kept.keys() & before.keys() & after.keys())
        for column in sorted(kept[table].keys() & before[table].keys() & after[table].keys())
        if before[table][column] != after[table][column]
    ]


class _Walk:
    """Migrations one step at a time, each checked to keep every value it does not drop."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.path: list[Snapshot] = []

    async def snapshot(self) -> Snapshot:
        async with self.engine.connect() as conn:
            return await conn.run_sync(_snapshot)

    async def at(self) -> str | None:
        return await migrations.current(self.engine)

    async def step(self, action: str, revision: str) -> None:
        at = await self.at()
        await getattr(migrations, action)(self.engine, revision)
        self.path.append(await self.snapshot())
        changed = _changed(self.path[-2], self.path[-1], self.path[-2])
        assert changed == [], f"{action} from {at} changed {changed}"

    def throughout(self) -> Snapshot:
        """The tables, and their columns, that every step had."""
        return {
            table: {column: [] for column in set.intersection(*(set(s[table]) for s in self.path))}
            for table in set.intersection(*(set(s) for s in self.path))
        }


async def test_each_revision_steps_down_and_up_again_keeping_the_data(
    empty_engine: AsyncEngine, tmp_path: Path
) -> None:
    """From an instance with rows in every table, each downgrade and each upgrade keeps every
    value in the tables and columns it does not drop: the walk goes down one revision, up
    again, down again and on to the first revision, then up one by one to the newest."""
    await migrations.upgrade(empty_engine)
    settings = make_settings(empty_engine.url.render_as_string(hide_password=False), tmp_path)
    application = create_app(settings)
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://laneway.test") as http:
            await populate(Api(http), application.state.laneway)
    oldest = list(ScriptDirectory.from_config(migrations.alembic_config()).walk_revisions())[-1]

    walk = _Walk(create_engine(settings))  # the CLI's engine: on SQLite it enforces foreign keys
    try:
        walk.path.append(await walk.snapshot())
        assert all(next(iter(table.values())) for table in walk.path[0].values())  # rows
        while await walk.at() != oldest.revision:
            await walk.step("downgrade", "-1")
            await walk.step("upgrade", "+1")
            await walk.step("downgrade", "-1")
        while await walk.at() != migrations.head():
            await walk.step("upgrade", "+1")
        # the first revision's tables came down and back up with every row and value
        throughout = walk.throughout()
        assert {"users", "api_tokens", "projects", "memberships"} <= throughout.keys()
        assert _changed(walk.path[0], walk.path[-1], throughout) == []

        await migrations.downgrade(walk.engine, "base")
        async with walk.engine.connect() as conn:
            assert await conn.run_sync(_tables) == set()
    finally:
        await walk.engine.dispose()


async def test_a_migration_that_leaves_broken_references_is_undone(tmp_path: Path) -> None:
    """SQLite migrates with foreign keys off; what it leaves is checked before it commits, and
    the connection enforces them again afterwards."""
    engine = create_engine(make_settings(f"sqlite+aiosqlite:///{tmp_path / 'r.db'}", tmp_path))
    membership = text(
        "INSERT INTO memberships (project_id, user_id, role, notify_level, created_at)"
        " VALUES (1, 99, 'owner', 'all', '2026-01-02 03:04:05')"
    )
    try:
        await migrations.upgrade(engine)
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO projects (id, key, name, description, created_at, updated_at)"
                    " VALUES (1, 'P', 'P', '', '2026-01-02', '2026-01-02')"
                )
            )
        with pytest.raises(BrokenReferences, match=r"^1 rows .* \(memberships -> users\)$"):
            async with migrations.transaction(engine) as conn:
                await conn.execute(membership)  # no user 99: accepted while keys are off
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM memberships"))).scalar() == 0
        with pytest.raises(IntegrityError, match="FOREIGN KEY"):
            async with engine.begin() as conn:
                await conn.execute(membership)
    finally:
        await engine.dispose()
