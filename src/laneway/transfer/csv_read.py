"""A CSV file read into task drafts, before anything touches the database: the file must be
UTF-8 CSV with a header naming every mapped column. Each row becomes a draft or, when a value
cannot be read (no title, a date that is not YYYY-MM-DD, an unknown priority), an error for its
row number (the header is row 1, as a spreadsheet shows it)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Literal, get_args

from pydantic import TypeAdapter, ValidationError

from laneway.kit.schemas import MADE_ONE_LINE, Email, IsoDate
from laneway.labels.schemas import LabelName
from laneway.tasks.schemas import MAX_LABELS, Description, PriorityName, Title
from laneway.transfer import files
from laneway.transfer.csv_export import FORMULA_STARTS
from laneway.transfer.errors import TransferError

Field = Literal["title", "description", "status", "assignee", "priority", "labels", "due_date"]
FIELDS: tuple[str, ...] = get_args(Field)
MAX_CSV_BYTES = 64 * 1024 * 1024
MAX_ROWS = 50_000

_ADAPTERS: dict[str, TypeAdapter[object]] = {
    # a cell may hold line breaks; a title or a label name is one line (kit/text.py)
    "title": TypeAdapter(Annotated[Title, MADE_ONE_LINE]),
    "description": TypeAdapter(Description),
    "assignee": TypeAdapter(Email),
    "label": TypeAdapter(Annotated[LabelName, MADE_ONE_LINE]),
    "due_date": TypeAdapter(IsoDate),
}


@dataclass(frozen=True, slots=True)
class RowIssue:
    row: int  # the header is row 1
    field: str | None
    message: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.field + ': ' if self.field else ''}{self.message}"


@dataclass(slots=True)
class Draft:
    """One row as read: names (of a status, labels, a person) not yet looked up."""

    row: int
    title: str
    description: str = ""
    status: str | None = None
    assignee: str | None = None
    priority: PriorityName = PriorityName.none
    labels: list[str] = field(default_factory=list)
    due_date: date | None = None


def read(
    source: files.Source, mapping: Mapping[str, str]
) -> tuple[list[Draft], list[RowIssue], int]:
    """The rows as drafts, the rows refused and how many rows there were; a TransferError for
    a file that is not CSV or lacks a mapped column, or for a mapping to no field."""
    unknown = sorted(set(mapping) - set(FIELDS))
    if unknown:
        raise TransferError(
            f"cannot map to {', '.join(unknown)}: the fields are {', '.join(FIELDS)}"
        )
    if "title" not in mapping:
        raise TransferError("map a column to title: every task needs one")
    raw = files.read(source, MAX_CSV_BYTES, "CSV file")
    # decoded and split as it is read, a row at a time: never the whole file as text or rows
    text = io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8-sig", newline="")
    records = csv.reader(_text_lines(text))
    drafts, errors = [], []
    rows = number = 0
    try:
        header = next(records, None)
        if header is None:
            raise TransferError("the CSV file is empty: it needs a header row")
        columns = _columns([name.strip() for name in header], mapping)
        number = 1  # the header's row
        for number, record in enumerate(records, start=2):
            if number - 1 > MAX_ROWS:  # blank lines count: they cost as much to read
                raise TransferError(f"the CSV file has more than {MAX_ROWS} rows: split it")
            if not any(cell.strip() for cell in record):
                continue  # blank lines (a trailing one, spacing) are not rows
            rows += 1
            cells = {
                name: _unguard(record[i]) if i < len(record) else "" for name, i in columns.items()
            }
            draft, problems = _draft(number, cells)
            if problems:
                errors += problems
            else:
                drafts.append(draft)
    except UnicodeDecodeError:
        raise TransferError("not a CSV file: it is not UTF-8 text") from None
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            raise TransferError(
                f"row {number + 1}: a cell is longer than {csv.field_size_limit()} characters"
            ) from None
        raise TransferError(f"not a CSV file: {error}") from None
    return drafts, errors, rows


def _text_lines(text: Iterable[str]) -> Iterator[str]:
    for line in text:
        if "\x00" in line:
            raise TransferError("not a CSV file: it holds binary data")
        yield line


def _columns(header: list[str], mapping: Mapping[str, str]) -> dict[str, int]:
    columns = {}
    for target, column in mapping.items():
        found = [i for i, name in enumerate(header) if name == column.strip()]
        if not found:
            raise TransferError(
                f"the file has no column {column!r} (mapped to {target}); its columns: "
                + ", ".join(repr(name) for name in header[:20])
            )
        if len(found) > 1:
            raise TransferError(f"the file has {len(found)} columns named {column!r}")
        columns[target] = found[0]
    return columns


def _unguard(cell: str) -> str:
    """A cell csv_export guarded against formulas ('=...) comes back as it was."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS) else cell


Refuse = Callable[[str, str], None]


def _draft(row: int, cells: dict[str, str]) -> tuple[Draft, list[RowIssue]]:
    problems: list[RowIssue] = []

    def refuse(name: str, message: str) -> None:
        problems.append(RowIssue(row, name, message))

    title = cells["title"].strip()
    if not title:
        refuse("title", "empty: a task needs a title")
    draft = Draft(row=row, title=str(_valid("title", title, refuse) if title else ""))
    if cells.get("description"):
        draft.description = str(_valid("description", cells["description"], refuse) or "")
    if status := cells.get("status", "").strip():
        draft.status = status
    if assignee := cells.get("assignee", "").strip():
        found = _valid("assignee", assignee, refuse)
        draft.assignee = str(found) if found is not None else None
    if priority := cells.get("priority", "").strip().lower():
        if priority in PriorityName.__members__:
            draft.priority = PriorityName(priority)
        else:
            refuse("priority", f"{priority!r} is not one of {', '.join(PriorityName)}")
    if labels := cells.get("labels", "").strip():
        names = list(dict.fromkeys(n.strip() for n in labels.split(",") if n.strip()))
        draft.labels = [str(_valid("label", name, refuse, "labels")) for name in names]
        if len(names) > MAX_LABELS:
            refuse("labels", f"more than {MAX_LABELS} labels")
    if due := cells.get("due_date", "").strip():
        found_date = _valid("due_date", due, refuse, message=f"{due!r} is not a date as YYYY-MM-DD")
        draft.due_date = found_date if isinstance(found_date, date) else None
    return draft, problems


def _valid(
    adapter: str, value: str, refuse: Refuse, name: str | None = None, message: str | None = None
) -> object:
    try:
        return _ADAPTERS[adapter].validate_python(value)
    except ValidationError as error:
        refuse(name or adapter, message or error.errors()[0]["msg"])
        return None
