"""Which database a command opens: run away from the data directory, a command refuses the
missing SQLite file (and makes nothing); its errors name the database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from laneway import migrations
from laneway.cli import app

runner = CliRunner()


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with no data directory, and the default settings."""
    monkeypatch.delenv("LANEWAY_DATABASE_URL", raising=False)
    monkeypatch.delenv("LANEWAY_DATA_DIR", raising=False)
    for name, value in (("TIME_COST", "1"), ("MEMORY_KIB", "8"), ("PARALLELISM", "1")):
        monkeypatch.setenv(f"LANEWAY_AUTH_ARGON2_{name}", value)
    monkeypatch.chdir(tmp_path)
    return tmp_path


COMMANDS = [
    ["create-user", "--email", "a@example.com", "--name", "A", "--password", "long enough"],
    ["invite", "--email", "b@example.com"],
    ["backup", "-o", "x.zip"],
    ["export", "1", "-o", "x.json"],
    ["migrate", "current"],
    ["migrate", "downgrade", "base", "--yes"],
    ["worker", "--once"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_a_missing_sqlite_database_is_refused_not_made(elsewhere: Path, command: list[str]) -> None:
    result = runner.invoke(app, command)
    assert result.exit_code == 1, result.output
    path = elsewhere / "laneway-data" / "laneway.db"
    assert result.output == (
        f"error: no database at {path} (LANEWAY_DATA_DIR is laneway-data, found from the "
        f"working directory {elsewhere}): run this where the server runs, or set "
        "LANEWAY_DATA_DIR or LANEWAY_DATABASE_URL; `laneway migrate upgrade` or "
        "`laneway serve` creates a new one\n"
    )
    assert not (elsewhere / "laneway-data").exists()


def test_migrate_upgrade_and_demo_make_it(elsewhere: Path) -> None:
    demo = runner.invoke(app, ["demo", "--tasks", "3"])  # migrates the new file first
    assert demo.exit_code == 0, demo.output
    made = runner.invoke(app, ["migrate", "upgrade"])
    assert made.exit_code == 0, made.output
    path = elsewhere / "laneway-data" / "laneway.db"
    assert made.output == f"SQLite {path} at revision {migrations.head()}\n"
    users = runner.invoke(
        app, ["create-user", "--email", "a@example.com", "--name", "A", "--password", "long enough"]
    )
    assert users.exit_code == 0, users.output


def test_a_database_without_the_schema_says_so(elsewhere: Path) -> None:
    (elsewhere / "laneway-data").mkdir()
    path = elsewhere / "laneway-data" / "laneway.db"
    sqlite3.connect(path).close()  # a file, but no tables
    result = runner.invoke(app, ["invite", "--email", "b@example.com"])
    assert result.exit_code == 1
    assert result.output == (
        f"error: the database (SQLite {path}) has no tables, this Laneway needs revision "
        f"{migrations.head()}: run `laneway migrate upgrade`\n"
    )


def test_an_unreachable_database_is_named(elsewhere: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # port 1 on loopback: nothing listens there
    monkeypatch.setenv("LANEWAY_DATABASE_URL", "postgresql+asyncpg://ops:pw@127.0.0.1:1/laneway")
    result = runner.invoke(app, ["invite", "--email", "b@example.com"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(
        "error: the database (PostgreSQL ops@127.0.0.1:1/laneway) is not reachable: "
    )
    assert "pw" not in lines[0]


def test_a_database_from_a_newer_laneway_says_so(elsewhere: Path) -> None:
    assert runner.invoke(app, ["migrate", "upgrade"]).exit_code == 0
    path = elsewhere / "laneway-data" / "laneway.db"
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    result = runner.invoke(app, ["invite", "--email", "b@example.com"])
    assert result.exit_code == 1
    assert result.output == (
        f"error: the database (SQLite {path}) is at revision 9999, newer than this Laneway "
        f"(its newest is {migrations.head()}): use the Laneway that upgraded it\n"
    )
