"""Verify: an archive is whole, and restores to exactly what its manifest lists.

First every table's file is read against the manifest (present, row count, checksum); then the
archive is restored into a scratch SQLite database and each table dumped again: its rows must
give the manifest's count and checksum, whichever backend the archive was made on.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from laneway.backup import dump, load
from laneway.backup.archive import ArchiveReader, Digest
from laneway.backup.progress import SILENT, Progress
from laneway.config import DatabaseSettings, Settings
from laneway.db import Database


@dataclass(frozen=True, slots=True)
class TableCheck:
    name: str
    rows: int
    # what is wrong, or None
    problem: str | None


async def verify(path: Path, progress: Progress = SILENT) -> list[TableCheck]:
    with ArchiveReader(path) as reader:
        tables = reader.manifest.tables
        checks = [TableCheck(t.name, t.rows, reader.problem(t)) for t in tables]
        if any(check.problem for check in checks):
            return checks
        with tempfile.TemporaryDirectory(prefix="laneway-verify-") as scratch:
            restored = await _restore_and_sum(reader, Path(scratch) / "verify.db", progress)
    return [TableCheck(t.name, t.rows, restored.get(t.name, _MISSING).problem(t)) for t in tables]


async def _restore_and_sum(
    reader: ArchiveReader, path: Path, progress: Progress
) -> dict[str, Digest]:
    url = f"sqlite+aiosqlite:///{path}"
    database = Database(Settings(data_dir=path.parent, database=DatabaseSettings(url=url)))
    try:
        # left at the archive's revision: the tables must read back exactly as they were made
        await load.restore(database.write_engine, reader, to_head=False, progress=progress)
        return await dump.fingerprint(database.engine)
    finally:
        await database.dispose()


_MISSING = Digest()
