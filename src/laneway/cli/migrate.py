"""`laneway migrate upgrade | downgrade | current`: each names the database it works on; a
downgrade that deletes data asks first."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated

import typer
from alembic.util import CommandError
from sqlalchemy.exc import DBAPIError

from laneway import migrations
from laneway.cli.database import Refused, describe
from laneway.cli.runner import console, fail, with_state
from laneway.config import Settings
from laneway.migrations import BrokenReferences, losses
from laneway.state import AppState


async def upgrade_database(
    state: AppState, revision: str = "head"
) -> tuple[str | None, str | None]:
    """Upgrade to `revision` (the newest by default); the revisions before and after."""
    engine = state.database.engine
    before = await migrations.current(engine)
    await _migrating(state, "upgrading", before, revision, migrations.upgrade(engine, revision))
    return before, await migrations.current(engine)


async def _migrating(
    state: AppState, verb: str, at: str | None, to: str | None, work: Awaitable[None]
) -> None:
    """Runs the migration `work`; a failure says which step failed and where the database is
    (all the steps run in one transaction, so it is where it was)."""
    try:
        await work
    except (DBAPIError, BrokenReferences, CommandError) as error:
        if isinstance(error, DBAPIError) and error.statement is None:
            raise  # the database went away: not a failed migration
        cause = str(getattr(error, "orig", None) or error).splitlines()[0]
        still = await migrations.current(state.database.engine)
        undone = "nothing changed, " if still == at else ""
        raise Refused(
            f"{verb} {describe(state.settings)} from revision {at} to {to} failed "
            f"({undone}the database is at revision {still}): {cause}"
        ) from error


def upgrade(revision: str = typer.Argument("head")) -> None:
    """Upgrade the database to REVISION (default: the newest)."""
    settings = Settings()
    _, after = with_state(
        lambda state: upgrade_database(state, revision),
        creates=True,
        needs_current=False,
        settings=settings,
    )
    console.print(f"{describe(settings)} at revision [bold]{after}[/bold]", soft_wrap=True)


Yes = Annotated[
    bool, typer.Option("--yes", "-y", help="Delete what the downgrade drops without asking.")
]


def downgrade(revision: str, yes: Yes = False) -> None:
    """Downgrade the database to REVISION ("base" removes every table). When that deletes
    data (the tables and columns newer revisions added), it says what and asks first."""
    settings = Settings()

    async def plan(state: AppState) -> losses.Plan:
        try:
            return await losses.plan(state.database.engine, revision)
        except CommandError as error:  # an unknown revision, or one above the database's
            raise Refused(str(error)) from error

    found = with_state(plan, needs_current=False, settings=settings)
    where = describe(settings)
    if found.at is None:
        console.print(f"{where} has no tables: nothing to downgrade", soft_wrap=True)
        return
    if not yes and (found.target is None or found.losses):
        _confirm(where, found)

    async def work(state: AppState) -> str | None:
        engine = state.database.engine
        await _migrating(
            state, "downgrading", found.at, found.target, migrations.downgrade(engine, revision)
        )
        return await migrations.current(engine)

    after = with_state(work, needs_current=False, settings=settings)
    console.print(f"{where} at revision [bold]{after}[/bold]", soft_wrap=True)


def _confirm(where: str, found: losses.Plan) -> None:
    target = "base (no tables)" if found.target is None else found.target
    lost = ", ".join(str(loss) for loss in found.losses) or "no rows"
    console.print(
        f"Downgrading {where} from revision {found.at} to {target} deletes: {lost}.",
        soft_wrap=True,
        markup=False,
    )
    try:
        confirmed = typer.confirm("Delete it and downgrade?", default=False, err=True)
    except typer.Abort:  # no answer (stdin closed): end the prompt's line
        console.print()
        confirmed = False
    if not confirmed:
        raise fail("not confirmed, nothing changed (--yes downgrades without asking)")


def current() -> None:
    """Show the database's revision and the newest one available."""
    settings = Settings()

    async def work(state: AppState) -> str | None:
        return await migrations.current(state.database.engine)

    at = with_state(work, needs_current=False, settings=settings)
    typer.echo(f"current: {at}  head: {migrations.head()}  database: {describe(settings)}")
