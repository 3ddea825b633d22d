"""`laneway export`, `import` and `import-csv`: their options; transfer/commands.py does the
work and words the summary."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from laneway.cli.runner import Bar, console, with_state
from laneway.state import AppState
from laneway.transfer import commands as transfer


class ExportFormat(StrEnum):
    json = "json"
    csv = "csv"


def export_project(
    key: Annotated[str, typer.Argument(help="The project's key, e.g. WEB.")],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="The file to write ('-': standard output).")
    ],
    format_: Annotated[
        ExportFormat,
        typer.Option("--format", help="json: the whole project, history included; csv: its tasks."),
    ] = ExportFormat.json,
) -> None:
    """Export one project: a JSON archive `laneway import` reads, or its tasks as CSV."""

    async def work(state: AppState) -> str:
        with Bar("export") as bar:
            return await transfer.export(state.database, key, output, format_.value, bar)

    console.print(with_state(work), soft_wrap=True, markup=False)


def import_project(
    file: Annotated[Path, typer.Argument(help="A `laneway export` archive (or a Trello export).")],
    owner: Annotated[
        str | None,
        typer.Option(help="Who owns the new project (default: the archive's owner, if here)."),
    ] = None,
    key: Annotated[
        str | None, typer.Option(help="Its key (default: the archive's, if free).")
    ] = None,
    name: Annotated[str | None, typer.Option(help="Its name (default: the archive's).")] = None,
    trello: Annotated[
        bool, typer.Option("--trello", help="FILE is a Trello board's JSON export.")
    ] = False,
) -> None:
    """Import a project archive (or a Trello board) as a new project, all or nothing."""

    async def work(state: AppState) -> str:
        with Bar("import") as bar:
            return await transfer.import_archive(
                state.database, file, owner=owner, key=key, name=name, trello=trello, progress=bar
            )

    console.print(with_state(work), soft_wrap=True, markup=False)


def import_csv(
    file: Annotated[Path, typer.Argument(help="A CSV file with a header row.")],
    project: Annotated[str, typer.Option(help="The project's key.")],
    as_: Annotated[str, typer.Option("--as", help="The member (email) adding the tasks.")],
    map_: Annotated[
        list[str],
        typer.Option(
            "--map",
            help="FIELD=COLUMN, repeated; fields: title (required), description, status, "
            "assignee, priority, labels, due_date.",
        ),
    ],
) -> None:
    """Add a task per CSV row to a project; rows that cannot be read are listed and skipped."""

    async def work(state: AppState) -> tuple[list[str], str]:
        columns = transfer.mapping(map_)
        with Bar("import") as bar:
            return await transfer.import_csv_file(
                state.database, file, project_key=project, user=as_, columns=columns, progress=bar
            )

    problems, summary = with_state(work)
    for problem in problems:
        console.print(problem, soft_wrap=True, markup=False)
    console.print(summary, soft_wrap=True, markup=False)
