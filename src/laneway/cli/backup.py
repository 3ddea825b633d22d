"""`laneway backup` (and `backup --verify`) and `laneway restore`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from laneway.backup import dump, load
from laneway.backup.archive import ArchiveReader, Manifest
from laneway.backup.verify import FILES, TableCheck
from laneway.backup.verify import verify as verify_archive
from laneway.cli.runner import Bar, console, one_line_errors, with_state
from laneway.state import AppState


def backup(
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write an archive of the instance.")
    ] = None,
    verify: Annotated[
        Path | None, typer.Option("--verify", help="Check an archive instead (exit 1 if bad).")
    ] = None,
) -> None:
    """Write a consistent archive of the whole instance (keep it private: it holds the
    instance secret and password hashes), or check one with --verify."""
    if verify is not None and output is None:
        _verify(verify)
        return
    if output is None or verify is not None:
        raise typer.BadParameter("give either -o FILE or --verify FILE")
    target = output

    async def work(state: AppState) -> Manifest:
        with Bar("backup") as bar:
            return await dump.backup(
                state.database.engine, target, bar, attachments=state.settings.attachments_dir
            )

    manifest = with_state(work, needs_current=False)  # an older revision backs up as it is
    rows = sum(table.rows for table in manifest.tables)
    files = f", {len(manifest.files)} attachment files" if manifest.files else ""
    console.print(
        f"wrote {target} ({rows} rows{files}); keep it as private as the database",
        soft_wrap=True,
    )
    if manifest.missing_files:
        console.print(
            f"[yellow]warning:[/yellow] {len(manifest.missing_files)} attachment files were gone "
            "(deleted while the backup ran): those attachments come back without their file",
            soft_wrap=True,
        )


def _verify(path: Path) -> None:
    async def run() -> list[TableCheck]:
        with Bar("verify") as bar:
            return await verify_archive(path, bar)

    checks = one_line_errors(run)
    table = Table("table", "rows", "ok")
    for check in checks:
        table.add_row(check.name, str(check.rows), "yes" if check.problem is None else "NO")
    Console().print(table)
    bad = [check for check in checks if check.problem is not None]
    for check in bad:
        what = check.name if check.name == FILES else f"table {check.name}"
        console.print(f"[red]error:[/red] {what}: {check.problem}", soft_wrap=True)
    if bad:
        raise typer.Exit(1)
    console.print(f"{path}: every table matches its manifest", soft_wrap=True)


def restore(
    archive: Annotated[Path, typer.Argument(help="An archive from `laneway backup`.")],
) -> None:
    """Load an archive into this instance's database, which must be empty (stop the server)."""

    async def work(state: AppState) -> int:
        settings = state.settings
        files = load.FilesTarget(settings.attachments_dir, settings.attachment_store)
        with ArchiveReader(archive) as reader, Bar("restore") as bar:
            await load.restore(state.database.write_engine, reader, progress=bar, files=files)
            return sum(table.rows for table in reader.manifest.tables)

    # a new instance's first database may be made here (docs/backup.md, 'Reset an instance')
    rows = with_state(work, creates=True, needs_current=False)
    console.print(
        f"restored {rows} rows from {archive}; the database is at the newest revision",
        soft_wrap=True,
    )
