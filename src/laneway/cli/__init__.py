"""The `laneway` command: every command, registered here in the order `--help` lists them;
each lives in the module of this package for its concern."""

from __future__ import annotations

from typing import Annotated

import typer

from laneway import __version__
from laneway.cli import accounts, backup, demo, migrate, server, transfer

app = typer.Typer(
    help="Laneway: a fast, self-hosted, real-time task tracker.", no_args_is_help=True
)
migrate_app = typer.Typer(help="Apply or inspect database migrations.", no_args_is_help=True)
app.add_typer(migrate_app, name="migrate")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"laneway {__version__}")
        raise typer.Exit


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Laneway command line."""


migrate_app.command("upgrade")(migrate.upgrade)
migrate_app.command("downgrade")(migrate.downgrade)
migrate_app.command("current")(migrate.current)

app.command("create-user")(accounts.create_user)
app.command("reset-password")(accounts.reset_password)
app.command("deactivate-user")(accounts.deactivate_user)
app.command("activate-user")(accounts.activate_user)
app.command("set-admin")(accounts.set_admin)
app.command("invite")(accounts.invite)
app.command("demo")(demo.demo)
app.command("backup")(backup.backup)
app.command("restore")(backup.restore)
app.command("export")(transfer.export_project)
app.command("import")(transfer.import_project)
app.command("import-csv")(transfer.import_csv)
app.command("openapi")(server.openapi)
app.command("worker")(server.worker)
app.command("serve")(server.serve)
