"""What `laneway export`, `import` and `import-csv` do, each ending in its one-line summary;
cli/transfer.py declares the commands and cli/runner.py draws the progress bar."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from laneway.db import Database
from laneway.transfer import files, repository, schema
from laneway.transfer.csv_export import export_csv
from laneway.transfer.csv_import import import_csv
from laneway.transfer.errors import TransferError
from laneway.transfer.export import export_project
from laneway.transfer.importer import ImportResult, import_project
from laneway.transfer.progress import Progress
from laneway.transfer.trello import import_trello

STDOUT = Path("-")
SHOWN = 5  # people named in a summary line; the rest are counted


async def _project_id(database: Database, key: str) -> int:
    async with database.transaction(write=False) as session:
        project_id = await repository.project_id_by_key(session, key)
    if project_id is None:
        raise TransferError(f"no project has the key {key.upper()}")
    return project_id


async def export(database: Database, key: str, output: Path, fmt: str, progress: Progress) -> str:
    project_id = await _project_id(database, key)
    target: files.Target = sys.stdout.buffer if output == STDOUT else output
    where = "standard output" if output == STDOUT else str(output)
    if fmt == "csv":
        rows = await export_csv(database, project_id, target, progress)
        return f"exported {rows} tasks of {key.upper()} as CSV to {where}"
    summary = await export_project(database, project_id, target, progress)
    return (
        f"exported {summary.key} to {where}: {summary.statuses} statuses, {summary.labels} "
        f"labels, {summary.members} members, {summary.tasks} tasks, {summary.comments} "
        f"comments, {summary.events} events"
    )


async def import_archive(
    database: Database,
    path: Path,
    *,
    owner: str | None,
    key: str | None,
    name: str | None,
    trello: bool,
    progress: Progress,
) -> str:
    if trello:
        if owner is None:
            raise TransferError("a Trello board names no owner here: give --owner EMAIL")
        board = await import_trello(
            database, path, owner=owner, key=key, name=name, progress=progress,
            match_people=True,  # the operator, who has the database anyway
        )  # fmt: skip
        skipped = (
            f"; skipped {board.skipped_lists} closed lists ({board.skipped_cards} cards)"
            if board.skipped_lists
            else ""
        )
        unmatched = (
            f"; comments by {_names(board.unmatched_members)} (no email here) are the owner's"
            if board.unmatched_members
            else ""
        )
        return _summary(path, board.project, owner) + skipped + unmatched
    archive = schema.parse(files.read(path, schema.MAX_ARCHIVE_BYTES, "archive"))
    if owner is None:
        owner = await _archive_owner(database, archive)
    result = await import_project(
        database, archive, owner=owner, key=key, name=name, progress=progress,
        match_people=True,  # the operator, who has the database anyway
    )  # fmt: skip
    return _summary(path, result, owner)


async def _archive_owner(database: Database, archive: schema.ArchiveIn) -> str:
    """Without --owner: the archive's first owner who has an account here."""
    owners = [m.email for m in archive.members if m.role.value == "owner"]
    async with database.transaction(write=False) as session:
        found = await repository.users_by_email(session, owners)
    for email in owners:
        if email in found:
            return email
    raise TransferError("none of the archive's owners has an account here: give --owner EMAIL")


def _summary(path: Path, result: ImportResult, owner: str) -> str:
    line = (
        f"imported {path} as {result.key} (project {result.project_id}, owner {owner}): "
        f"{result.statuses} statuses, {result.labels} labels, {result.members} members, "
        f"{result.tasks} tasks, {result.comments} comments, {result.events} events"
    )
    if result.unmatched_emails:
        line += (
            f"; {len(result.unmatched_emails)} without an account here: "
            f"{_names(result.unmatched_emails)} (their tasks are unassigned"
            + (
                f", {result.reassigned} reporters and authors are {owner})"
                if result.reassigned
                else ")"
            )
        )
    return line


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(names[:SHOWN])
    return shown + (f" and {len(names) - SHOWN} more" if len(names) > SHOWN else "")


def mapping(entries: Sequence[str]) -> dict[str, str]:
    """`--map title=Title --map status=State` as {field: column}."""
    found: dict[str, str] = {}
    for entry in entries:
        field, sep, column = entry.partition("=")
        if not sep or not field.strip() or not column.strip():
            raise TransferError(f"--map {entry!r}: write it as FIELD=COLUMN, e.g. title=Summary")
        if field.strip() in found:
            raise TransferError(f"--map names {field.strip()} twice")
        found[field.strip()] = column.strip()
    return found


async def import_csv_file(
    database: Database,
    path: Path,
    *,
    project_key: str,
    user: str,
    columns: dict[str, str],
    progress: Progress,
) -> tuple[list[str], str]:
    """The rows' problems, one line each, and the summary."""
    project_id = await _project_id(database, project_key)
    result = await import_csv(
        database, path, project_id=project_id, user=user, mapping=columns, progress=progress
    )
    problems = [f"warning: {issue}" for issue in result.warnings]
    problems += [f"skipped: {issue}" for issue in result.errors]
    numbers = (
        f" ({result.key}-{result.numbers[0]} to {result.key}-{result.numbers[-1]})"
        if result.numbers
        else ""
    )
    summary = (
        f"imported {result.created} of {result.rows} rows of {path} into {result.key}{numbers}; "
        f"{len(result.labels_created)} labels created, {len(result.warnings)} warnings, "
        f"{len({issue.row for issue in result.errors})} rows skipped"
    )
    return problems, summary
