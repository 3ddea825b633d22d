"""The `laneway` command: every command, registered here in the order `--help` lists them;
each lives in the cli_*.py module of its concern."""

from __future__ import annotations

from typing import Annotated

import typer

from laneway import (
    __version__,
    cli_accounts,
    cli_backup,
    cli_demo,
    cli_migrate,
    cli_server,
    cli_transfer,
)

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


migrate_app.command("upgrade")(cli_migrate.upgrade)
migrate_app.command("downgrade")(cli_migrate.downgrade)
migrate_app.command("current")(cli_migrate.current)

app.command("create-user")(cli_accounts.create_user)
app.command("reset-password")(cli_accounts.reset_password)
app.command("deactivate-user")(cli_accounts.deactivate_user)
app.command("activate-user")(cli_accounts.activate_user)
app.command("set-admin")(cli_accounts.set_admin)
app.command("invite")(cli_accounts.invite)
app.command("demo")(cli_demo.demo)
app.command("backup")(cli_backup.backup)
app.command("restore")(cli_backup.restore)
app.command("export")(cli_transfer.export_project)
app.command("import")(cli_transfer.import_project)
app.command("import-csv")(cli_transfer.import_csv)
app.command("openapi")(cli_server.openapi)
app.command("worker")(cli_server.worker)
app.command("serve")(cli_server.serve)
