"""A Trello board's JSON export (Board menu > Print, export and share > Export as JSON) as a
new project, through the archive import (importer.py), so it is written the same way.

- Open lists become statuses, in board order (categories guessed from their names); closed
  lists are skipped, with their cards.
- Cards become tasks in their list's order: name, description (checklists appended as a
  markdown task list), due date, archived when closed, labels (a label's name, or its colour
  when it has none), numbered by the card's board number (idShort) when those are unique.
- `commentCard` actions become comments with their text and date. Trello exports carry no
  emails unless the member made theirs visible: a comment whose author has an email with an
  account here is theirs when an instance admin imports (importer.py, People); any other is
  the importing user's, starting with the Trello name (or email) of who wrote it, and a person
  without an email is listed in the result.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from fractional_indexing import generate_n_keys_between
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from laneway.db import Database
from laneway.kit.text import one_line
from laneway.models import StatusCategory
from laneway.models.base import utcnow
from laneway.projects.service import derive_key
from laneway.transfer import files, schema, stream
from laneway.transfer.errors import TransferError
from laneway.transfer.importer import ImportResult, import_project
from laneway.transfer.progress import SILENT, BeforeCommit, Progress
from laneway.transfer.staging import UNSTAGED, Stage

# Trello's label colours (and their _light / _dark variants) in hex
COLORS = {
    "green": "#4bce97",
    "yellow": "#f5cd47",
    "orange": "#fea362",
    "red": "#f87168",
    "purple": "#9f8fef",
    "blue": "#579dff",
    "sky": "#6cc3e0",
    "lime": "#94c748",
    "pink": "#e774bb",
    "black": "#8590a2",
}
NO_COLOR = "#4b5563"
CATEGORIES = (  # the first word found in a list's name decides its category
    (StatusCategory.done, ("done", "complete", "finished", "shipped", "released", "closed")),
    (StatusCategory.review, ("review", "qa", "testing", "verify")),
    (StatusCategory.blocked, ("blocked", "waiting", "hold", "stuck")),
    (StatusCategory.unstarted, ("todo", "to do", "backlog", "ideas", "inbox", "next", "planned")),
    (StatusCategory.started, ("doing", "progress", "started", "working")),
)


class _Trello(BaseModel):
    # Trello's export has many more fields; only these are read (field names are Trello's)
    model_config = ConfigDict(extra="ignore")


class TrelloLabel(_Trello):
    id: str
    name: str | None = ""
    color: str | None = None


class TrelloList(_Trello):
    id: str
    name: str
    closed: bool = False
    pos: float = 0


class TrelloMember(_Trello):
    id: str
    username: str = ""
    fullName: str = ""
    email: str | None = None


class TrelloCard(_Trello):
    id: str
    name: str
    desc: str = ""
    closed: bool = False
    idList: str
    idLabels: list[str] = Field(default_factory=list)
    idMembers: list[str] = Field(default_factory=list)
    idShort: int | None = None
    due: datetime | None = None
    pos: float = 0
    dateLastActivity: datetime | None = None


class TrelloCheckItem(_Trello):
    name: str
    state: str = "incomplete"
    pos: float = 0


class TrelloChecklist(_Trello):
    id: str
    name: str = "Checklist"
    idCard: str
    pos: float = 0
    checkItems: list[TrelloCheckItem] = Field(default_factory=list)


class TrelloActionCard(_Trello):
    id: str


class TrelloActionData(_Trello):
    text: str | None = None
    card: TrelloActionCard | None = None


class TrelloAction(_Trello):
    id: str
    type: str
    date: datetime
    data: TrelloActionData = Field(default_factory=TrelloActionData)
    memberCreator: TrelloMember | None = None


class TrelloBoard(_Trello):
    name: str
    desc: str = ""
    labels: list[TrelloLabel] = Field(default_factory=list)
    lists: list[TrelloList]
    cards: list[TrelloCard]
    checklists: list[TrelloChecklist] = Field(default_factory=list)
    actions: list[TrelloAction] = Field(default_factory=list)
    members: list[TrelloMember] = Field(default_factory=list)


@dataclass(frozen=True, slots=True)
class TrelloImportResult:
    project: ImportResult
    # Trello members named in the board without an email this instance knows (@username)
    unmatched_members: list[str]
    skipped_lists: int  # closed lists
    skipped_cards: int  # the cards in them


async def import_trello(
    database: Database,
    trello_json: files.Source,
    *,
    owner: int | str,
    key: str | None = None,
    name: str | None = None,
    progress: Progress = SILENT,
    before_commit: BeforeCommit | None = None,
    match_people: bool | None = None,
    stage: Stage = UNSTAGED,
) -> TrelloImportResult:
    """Create a project from a Trello board export; `owner` (an id or an email) owns it;
    `match_people` as for import_project (an email shown in the export is matched to an
    account only when an admin imports)."""
    # reading and converting the board is CPU work: a thread, so the event loop keeps serving
    prepared = await asyncio.to_thread(_prepare, trello_json)

    def extended(project: ImportResult) -> TrelloImportResult:
        return TrelloImportResult(
            project=project,
            unmatched_members=sorted(prepared.unmatched),
            skipped_lists=prepared.closed_lists,
            skipped_cards=prepared.skipped_cards,
        )

    async def finish(session: AsyncSession, project: ImportResult) -> None:
        if before_commit is not None:  # with the Trello details, which a job's result keeps
            await before_commit(session, extended(project))

    result = await import_project(
        database,
        prepared.archive,
        owner=owner,
        key=key,
        name=name,
        progress=progress,
        before_commit=finish,
        match_people=match_people,
        stage=stage,
    )
    return extended(result)


@dataclass(frozen=True, slots=True)
class _Prepared:
    archive: schema.ArchiveIn
    unmatched: set[str]
    closed_lists: int
    skipped_cards: int


def _prepare(trello_json: files.Source) -> _Prepared:
    board = parse(files.read(trello_json, schema.MAX_ARCHIVE_BYTES, "Trello export"))
    archive, unmatched, skipped = _archive(board)
    try:
        # through JSON, so the archive's strict types read it exactly as they read a file
        parsed = schema.ArchiveIn.model_validate_json(orjson.dumps(archive))
    except ValidationError as error:
        raise TransferError(
            f"the Trello board cannot be imported: {schema.describe(error)}"
        ) from None
    closed = len([t for t in board.lists if t.closed])
    return _Prepared(parsed, unmatched, closed, skipped)


# each collection read: the model of one item, and the most items a board may hold
COLLECTIONS: dict[str, tuple[type[_Trello], int]] = {
    "labels": (TrelloLabel, schema.MAX_LABELS_PER_PROJECT),
    "lists": (TrelloList, 10_000),
    "cards": (TrelloCard, schema.MAX_TASKS),
    "checklists": (TrelloChecklist, schema.MAX_TASKS),
    "actions": (TrelloAction, schema.MAX_EVENTS),
    "members": (TrelloMember, schema.MAX_MEMBERS),
}
NOT_A_BOARD = "not a Trello board export (it has no lists and cards)"


class _Head(_Trello):
    name: str
    desc: str = ""


def parse(raw: bytes) -> TrelloBoard:
    """The board, each item validated as it is read (stream.py); the export's many other
    fields are passed over without being kept."""
    head: dict[str, object] = {}
    items: dict[str, list[_Trello]] = {}
    limits = {key: most for key, (_model, most) in COLLECTIONS.items()}
    try:
        for entry in stream.entries(
            raw, "Trello export", limits, skip=frozenset(_Head.model_fields)
        ):
            if entry.value is stream.STARTED:
                items[entry.key] = []
                continue
            if entry.index is None:
                head[entry.key] = entry.value
                continue
            model = COLLECTIONS[entry.key][0]
            try:
                items[entry.key].append(model.model_validate(entry.value))
            except ValidationError as error:
                raise TransferError(
                    "the Trello export is invalid: "
                    + schema.describe(error, (entry.key, entry.index))
                ) from None
    except stream.NotAnObject:
        raise TransferError(NOT_A_BOARD) from None
    if "lists" not in items or "cards" not in items:
        raise TransferError(NOT_A_BOARD)
    try:
        found = _Head.model_validate({k: v for k, v in head.items() if k in _Head.model_fields})
    except ValidationError as error:
        raise TransferError(f"the Trello export is invalid: {schema.describe(error)}") from None
    fields: dict[str, Any] = dict(found) | items  # every part validated above
    return TrelloBoard.model_construct(**fields)


def _archive(board: TrelloBoard) -> tuple[dict[str, object], set[str], int]:
    """The board as a project archive (without history: the import writes a fresh one), the
    members without an email, and how many cards were skipped with their closed list."""
    now = utcnow()
    lists = sorted((t for t in board.lists if not t.closed), key=lambda t: t.pos)
    if not lists:
        raise TransferError("the Trello board has no open list to make a status of")
    status_names = _unique([one_line(t.name)[:60] or "Untitled" for t in lists])
    statuses = [
        {"ref": i, "name": status_name, "category": _category(status_name, i).value, "position": i}
        for i, status_name in enumerate(status_names)
    ]
    list_status = {t.id: status_name for t, status_name in zip(lists, status_names, strict=True)}
    label_names = {
        label.id: one_line(label.name or "")[:60] or (label.color or "no colour")
        for label in board.labels
    }
    colors: dict[str, str] = {}
    for label in board.labels:
        colors.setdefault(
            label_names[label.id], COLORS.get((label.color or "").split("_")[0], NO_COLOR)
        )
    cards = [c for c in board.cards if c.idList in list_status]
    numbers = _numbers(cards)
    checklists: dict[str, list[TrelloChecklist]] = {}
    for checklist in sorted(board.checklists, key=lambda c: c.pos):
        checklists.setdefault(checklist.idCard, []).append(checklist)
    ranks = _ranks(cards)
    tasks = [
        {
            "number": numbers[card.id],
            "title": _title(card.name),
            "description": _description(card, checklists.get(card.id, [])),
            "status": list_status[card.idList],
            "labels": sorted({label_names[i] for i in card.idLabels if i in label_names}),
            "due_date": card.due.astimezone(UTC).date().isoformat() if card.due else None,
            "rank": ranks[card.id],
            "archived_at": _iso(card.dateLastActivity or now) if card.closed else None,
            "created_at": _iso(_created(card.id) or now),
            "updated_at": _iso(card.dateLastActivity or _created(card.id) or now),
        }
        for card in cards
    ]
    comments, unmatched = _comments(board, numbers)
    archive = {
        "format": schema.FORMAT,
        "version": schema.VERSION,
        "project": {
            "key": derive_key(board.name)[:8],
            "name": one_line(board.name)[:200] or "Trello board",
            "description": board.desc[:20_000],
            "last_task_number": max(numbers.values(), default=0),
        },
        "statuses": statuses,
        "labels": [{"ref": i, "name": n, "color": c} for i, (n, c) in enumerate(colors.items())],
        "tasks": tasks,
        "comments": comments,
    }
    return archive, unmatched, len(board.cards) - len(cards)


def _category(name: str, position: int) -> StatusCategory:
    lowered = name.lower()
    for category, words in CATEGORIES:
        if any(word in lowered for word in words):
            return category
    return StatusCategory.unstarted if position == 0 else StatusCategory.started


def _unique(names: list[str]) -> list[str]:
    """Status names are unique in any case: a repeated list name gets (2), (3), ..."""
    seen: Counter[str] = Counter()
    unique = []
    for name in names:
        seen[name.lower()] += 1
        unique.append(name if seen[name.lower()] == 1 else f"{name[:54]} ({seen[name.lower()]})")
    return unique


def _numbers(cards: list[TrelloCard]) -> dict[str, int]:
    """The card's own board number (idShort) when every card has a distinct one; else 1, 2,
    ... in the order the cards were made."""
    shorts = [c.idShort for c in cards]
    if all(s is not None and s > 0 for s in shorts) and len(set(shorts)) == len(shorts):
        return {c.id: int(c.idShort or 0) for c in cards}
    ordered = sorted(
        cards, key=lambda c: (_created(c.id) or datetime.min.replace(tzinfo=UTC), c.id)
    )
    return {c.id: i for i, c in enumerate(ordered, start=1)}


def _ranks(cards: list[TrelloCard]) -> dict[str, str]:
    by_list: dict[str, list[TrelloCard]] = {}
    for card in sorted(cards, key=lambda c: c.pos):
        by_list.setdefault(card.idList, []).append(card)
    ranks: dict[str, str] = {}
    for column in by_list.values():
        ranks.update(
            zip(
                (c.id for c in column),
                generate_n_keys_between(None, None, len(column)),
                strict=True,
            )
        )
    return ranks


def _title(name: str) -> str:
    title = one_line(name) or "Untitled card"
    return title if len(title) <= 500 else title[:499] + "…"


def _description(card: TrelloCard, checklists: list[TrelloChecklist]) -> str:
    parts = [card.desc.strip()] if card.desc.strip() else []
    if len(one_line(card.name)) > 500:
        parts.insert(0, card.name)  # the title was cut short: the whole name stays here
    for checklist in checklists:
        items = sorted(checklist.checkItems, key=lambda item: item.pos)
        lines = [f"- [{'x' if item.state == 'complete' else ' '}] {item.name}" for item in items]
        parts.append("\n".join([f"### {checklist.name}", "", *lines]))
    return "\n\n".join(parts)[:100_000]


def _comments(
    board: TrelloBoard, numbers: dict[str, int]
) -> tuple[list[dict[str, object]], set[str]]:
    members = {m.id: m for m in board.members}
    unmatched: set[str] = set()
    actions = sorted(
        (a for a in board.actions if a.type == "commentCard" and a.data.card and a.data.text),
        key=lambda a: (a.date, a.id),
    )
    comments: list[dict[str, object]] = []
    for i, action in enumerate(actions):
        card = action.data.card
        if card is None or card.id not in numbers:
            continue
        author = action.memberCreator
        listed = members.get(author.id) if author is not None else None
        email = (author.email if author else None) or (listed.email if listed else None)
        email = email.strip().lower() if email else None
        text = action.data.text or ""
        if email is None:
            who = (author.fullName or author.username) if author else "someone"
            unmatched.add(f"@{author.username}" if author and author.username else who)
            text = f"{who} wrote on Trello:\n\n{text}"
        comments.append(
            {
                "ref": i,
                "task": numbers[card.id],
                "author": email,
                "body": text[:50_000],
                "created_at": _iso(action.date),
                "updated_at": _iso(action.date),
            }
        )
    return comments, unmatched


def _created(trello_id: str) -> datetime | None:
    """Trello ids are MongoDB object ids: the first 8 hex digits are when it was made."""
    try:
        return datetime.fromtimestamp(int(trello_id[:8], 16), UTC)
    except ValueError:
        return None


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
