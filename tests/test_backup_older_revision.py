"""An archive from an older revision keeps every row through the upgrades a restore runs."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from laneway import migrations
from laneway.backup import dump
from tests.test_backup import canonical, database, restore

ROWS = (
    "INSERT INTO users (id, email, name, password_hash, is_active, is_admin, created_at)"
    " VALUES (7, 'old@example.com', 'Old', 'x', 1, 0, '2026-01-02 03:04:05.000006')",
    "INSERT INTO projects (id, key, name, description, created_at, updated_at)"
    " VALUES (3, 'OLD', 'Old', '', '2026-01-02 03:04:05', '2026-01-02 03:04:05')",
    "INSERT INTO memberships (project_id, user_id, role, created_at)"
    " VALUES (3, 7, 'owner', '2026-01-02 03:04:05')",
    "INSERT INTO api_tokens (id, user_id, kind, name, prefix, token_hash, scope, created_at)"
    " VALUES (5, 7, 'personal', 'ci', 'lwp_old', 'h', 'read', '2026-01-02 03:04:05')",
)


async def test_rows_that_point_at_users_survive_the_upgrade_past_0007(
    database_url: str, tmp_path: Path
) -> None:
    """0007 changes `users` in Alembic's batch mode, which on SQLite copies the table and drops
    the old one: with foreign keys enforced, that drop deleted every membership and token."""
    old = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    async with database(old, tmp_path) as db:
        async with db.engine.begin() as connection:
            await connection.run_sync(migrations.move_to, "0006")
            for row in ROWS:
                await connection.execute(text(row))
        archive = tmp_path / "old.zip"
        assert (await dump.backup(db.engine, archive)).revision == "0006"

    await restore(database_url, archive, tmp_path)
    async with database(database_url, tmp_path) as db:
        assert await migrations.current(db.engine) == migrations.head()
        tables = await canonical(db.engine)
    assert [len(tables[name]) for name in ("users", "memberships", "api_tokens")] == [1, 1, 1]
