"""The migrations build exactly the schema the models describe, and unwind cleanly."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from laneway import migrations
from laneway.models import Base
from tests.conftest import BACKENDS, POSTGRES_ADMIN_URL


@pytest.fixture(params=BACKENDS)
async def empty_engine(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[AsyncEngine]:
    if request.param == "sqlite":
        engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
        yield engine
        await engine.dispose()
        return
    name = f"laneway_mig_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_async_engine(POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}")
    yield engine
    await engine.dispose()
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    await admin.dispose()


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
