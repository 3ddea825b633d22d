"""`laneway migrate` on both backends with data: a downgrade that deletes rows says which and
asks first, and a migration that fails says so (not that the database is unreachable)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from typer.testing import CliRunner, Result

from laneway import migrations
from laneway.cli import app
from tests.conftest import BACKENDS, drop_database_behind, in_own_thread, new_database

runner = CliRunner()


@pytest.fixture(params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A new, empty database the CLI is configured for (a new PostgreSQL database is dropped
    afterwards)."""
    for name, value in (("TIME_COST", "1"), ("MEMORY_KIB", "8"), ("PARALLELISM", "1")):
        monkeypatch.setenv(f"LANEWAY_AUTH_ARGON2_{name}", value)
    monkeypatch.setenv("LANEWAY_DATA_DIR", str(tmp_path))
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'laneway.db'}"
        monkeypatch.setenv("LANEWAY_DATABASE_URL", url)
        yield url
        return
    name, url = new_database("laneway_cli")
    monkeypatch.setenv("LANEWAY_DATABASE_URL", url)
    yield url
    drop_database_behind(name)


def invoke(*args: str, answer: str | None = None) -> Result:
    return runner.invoke(app, list(args), input=answer)


def revision() -> str:
    return invoke("migrate", "current").stdout.split()[1]


def test_a_downgrade_that_deletes_data_says_what_and_asks_first(database_url: str) -> None:
    assert invoke("migrate", "upgrade").exit_code == 0
    seeded = invoke("demo", "--tasks", "20")
    assert seeded.exit_code == 0, seeded.output

    for answer in (None, "n\n"):  # no answer (stdin closed), then a no
        refused = invoke("migrate", "downgrade", "base", answer=answer)
        assert refused.exit_code == 1, refused.output
        assert f"from revision {migrations.head()} to base (no tables) deletes: " in refused.output
        assert "users (4 rows)" in refused.output
        assert "tasks (20 rows)" in refused.output
        refusal = "\nerror: not confirmed, nothing changed (--yes downgrades without asking)\n"
        assert refusal in refused.output
        assert revision() == migrations.head()

    # the revisions after 0009 are not what the steps below are about
    assert invoke("migrate", "downgrade", "0009", "--yes").exit_code == 0
    # 0009 to 0008 drops only an empty table (email_batches) and an index: no question
    quiet = invoke("migrate", "downgrade", "0008")
    assert quiet.exit_code == 0, quiet.output
    assert " deletes: " not in quiet.output
    assert quiet.output.endswith(" at revision 0008\n")
    # 0008 to 0007 drops users.email_notifications, which every account has
    asked = invoke("migrate", "downgrade", "0007", answer="y\n")
    assert asked.exit_code == 0, asked.output
    assert "deletes: users.email_notifications (4 rows)." in asked.output
    assert revision() == "0007"

    gone = invoke("migrate", "downgrade", "base", "--yes")
    assert gone.exit_code == 0, gone.output
    assert " deletes: " not in gone.output
    assert invoke("migrate", "current").stdout.startswith("current: None")
    assert invoke("migrate", "upgrade").exit_code == 0
    assert revision() == migrations.head()


def test_an_unknown_revision_is_one_line(database_url: str) -> None:
    assert invoke("migrate", "upgrade").exit_code == 0
    unknown = invoke("migrate", "downgrade", "0042")
    assert unknown.exit_code == 1
    assert unknown.output == "error: Can't locate revision identified by '0042'\n"


async def _drop_index(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DROP INDEX ix_notifications_created_at"))
    finally:
        await engine.dispose()


def test_a_failed_migration_says_which_and_where_the_database_is(database_url: str) -> None:
    assert invoke("migrate", "upgrade").exit_code == 0
    assert invoke("demo", "--tasks", "5").exit_code == 0
    assert invoke("migrate", "downgrade", "0009", "--yes").exit_code == 0
    in_own_thread(_drop_index(database_url))  # the index 0009's downgrade drops is gone

    failed = invoke("migrate", "downgrade", "0008", "--yes")
    assert failed.exit_code == 1
    lines = failed.output.splitlines()
    assert len(lines) == 1, failed.output
    assert lines[0].startswith("error: downgrading ")
    assert (
        " from revision 0009 to 0008 failed (nothing changed, the database is at revision 0009): "
        in lines[0]
    )
    assert "ix_notifications_created_at" in lines[0]
    assert "not reachable" not in lines[0]
    assert revision() == "0009"
