"""Verify: an archive is whole, and restores to exactly what its manifest lists.

First every table's file is read against the manifest (present, row count, checksum), and every
attachment file (present, size, checksum); then the archive is restored into a scratch SQLite
database (its attachment files into a scratch directory) and each table dumped again: its rows
must give the manifest's count and checksum, whichever backend the archive was made on.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from laneway.backup import dump, load
from laneway.backup.archive import ArchiveReader, Digest, Manifest
from laneway.backup.progress import SILENT, Progress
from laneway.config import DatabaseSettings, Settings
from laneway.db import Database

FILES = "attachment files"  # the check of the archive's attachment files


@dataclass(frozen=True, slots=True)
class TableCheck:
    name: str  # a table's, or FILES
    rows: int
    # what is wrong, or None
    problem: str | None


async def verify(path: Path, progress: Progress = SILENT) -> list[TableCheck]:
    with ArchiveReader(path) as reader:
        tables = reader.manifest.tables
        checks = [TableCheck(t.name, t.rows, reader.problem(t)) for t in tables]
        files = _files(reader)
        if any(check.problem for check in checks) or (files and files.problem):
            return checks + ([files] if files else [])
        with tempfile.TemporaryDirectory(prefix="laneway-verify-") as scratch:
            restored = await _restore_and_sum(reader, Path(scratch) / "verify.db", progress)
    return [
        TableCheck(t.name, t.rows, restored.get(t.name, _MISSING).problem(t)) for t in tables
    ] + ([files] if files else [])


def _files(reader: ArchiveReader) -> TableCheck | None:
    manifest: Manifest = reader.manifest
    if not manifest.files:
        return None
    problems = [p for p in map(reader.file_problem, manifest.files) if p is not None]
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return TableCheck(FILES, len(manifest.files), problems[0] + more if problems else None)


async def _restore_and_sum(
    reader: ArchiveReader, path: Path, progress: Progress
) -> dict[str, Digest]:
    url = f"sqlite+aiosqlite:///{path}"
    database = Database(Settings(data_dir=path.parent, database=DatabaseSettings(url=url)))
    try:
        # left at the archive's revision: the tables must read back exactly as they were made
        files = load.FilesTarget(path.parent / "attachments")
        await load.restore(
            database.write_engine, reader, to_head=False, progress=progress, files=files
        )
        return await dump.fingerprint(database.engine)
    finally:
        await database.dispose()


_MISSING = Digest()
