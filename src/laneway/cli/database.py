"""Which database a command opens: named in its errors and at `serve`'s start, and refused
when it is not there (instead of an empty one made wherever the command happened to run)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from laneway import migrations
from laneway.config import Settings


class Refused(Exception):
    """A command's own refusal, printed as its one error line."""


def describe(settings: Settings) -> str:
    """`SQLite /abs/laneway.db` or `PostgreSQL user@host:5432/name` (never a password)."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        return f"SQLite {url.database or ':memory:'}"
    user = f"{url.username}@" if url.username else ""
    return f"PostgreSQL {user}{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"


def sqlite_file(settings: Settings) -> Path | None:
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def refuse_missing(settings: Settings) -> None:
    """An SQLite file that does not exist is refused: `laneway-data/` is found from the working
    directory, and a command run elsewhere would otherwise start an empty instance there."""
    path = sqlite_file(settings)
    if path is None or path.exists():
        return
    if settings.database.url:
        source = "LANEWAY_DATABASE_URL names it"
    elif settings.data_dir.is_absolute():
        source = f"LANEWAY_DATA_DIR is {settings.data_dir}"
    else:
        source = (
            f"LANEWAY_DATA_DIR is {settings.data_dir}, found from the working directory "
            f"{Path.cwd()}"
        )
    raise Refused(
        f"no database at {path} ({source}): run this where the server runs, or set "
        "LANEWAY_DATA_DIR or LANEWAY_DATABASE_URL; `laneway migrate upgrade` or "
        "`laneway serve` creates a new one"
    )


async def refuse_unless_current(engine: AsyncEngine, settings: Settings) -> None:
    """A command that reads or writes the app's tables needs the schema this version knows."""
    at, head = await migrations.current(engine), migrations.head()
    if not migrations.known(at):
        raise Refused(
            f"the database ({describe(settings)}) is at revision {at}, newer than this Laneway "
            f"(its newest is {head}): use the Laneway that upgraded it"
        )
    if at != head:
        where = "has no tables" if at is None else f"is at revision {at}"
        raise Refused(
            f"the database ({describe(settings)}) {where}, this Laneway needs revision {head}: "
            "run `laneway migrate upgrade`"
        )
