"""A database's rows kept in memory and put back: a scene built once through the services is
restored for each test (or each caller) that needs it as it was, in milliseconds.

Restoring empties every table, children first, and inserts the kept rows, parents first, with
the same ids; `status_counts` goes in last, over what the triggers on `tasks` made meanwhile.
PostgreSQL's sequences go back to where they were, so the next row made gets the same id as
after the first build. The file store's directory is restored with the rows.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from laneway.models import Base

# Kept by triggers on `tasks` while tasks go in: restored last, over what they made.
_TRIGGER_FILLED = "status_counts"
_TABLES = Base.metadata.sorted_tables
_LOAD_ORDER = [t for t in _TABLES if t.name != _TRIGGER_FILLED] + [
    t for t in _TABLES if t.name == _TRIGGER_FILLED
]


@dataclass(frozen=True)
class SavedRows:
    rows: dict[str, list[dict[str, Any]]]
    sequences: dict[str, int | None]  # PostgreSQL's: each one's last value (None: unused)
    files: Path  # a copy of the file store's directory
    files_dir: Path  # the file store's directory itself

    @classmethod
    async def save(cls, engine: AsyncEngine, files_dir: Path, into: Path) -> SavedRows:
        async with engine.connect() as connection:
            rows = {
                table.name: [
                    dict(row._mapping)
                    for row in await connection.execute(
                        sa.select(table).order_by(*table.primary_key.columns)
                    )
                ]
                for table in _TABLES
            }
            sequences = await _sequences(connection)
        _copy(files_dir, into)
        return cls(rows=rows, sequences=sequences, files=into, files_dir=files_dir)

    async def restore(self, engine: AsyncEngine) -> None:
        async with engine.begin() as connection:
            for table in reversed(_TABLES):
                await connection.execute(sa.delete(table))
            for table in _LOAD_ORDER:
                if table.name == _TRIGGER_FILLED:
                    await connection.execute(sa.delete(table))
                if self.rows[table.name]:
                    await connection.execute(sa.insert(table), self.rows[table.name])
            for name, value in self.sequences.items():
                await connection.execute(
                    sa.select(sa.func.setval(name, value or 1, value is not None))
                )
        shutil.rmtree(self.files_dir, ignore_errors=True)
        _copy(self.files, self.files_dir)


def _copy(directory: Path, into: Path) -> None:
    if directory.exists():
        shutil.copytree(directory, into)
    else:
        into.mkdir(parents=True)


async def _sequences(connection: AsyncConnection) -> dict[str, int | None]:
    if connection.dialect.name != "postgresql":
        return {}  # a SQLite table without AUTOINCREMENT gives the next row max(id) + 1
    found = await connection.execute(
        sa.text("SELECT schemaname || '.' || sequencename, last_value FROM pg_sequences")
    )
    return dict(found.all())
