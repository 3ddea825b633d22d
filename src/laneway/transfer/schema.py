"""The project archive, format `laneway.project` version 1: what an export writes and an import
accepts, with the same limits the API puts on each field.

People are named by email, statuses and labels by name, tasks by number. The history (events)
keeps its ids as archive references: a user is an email, a task its number, a status, label or
comment its `ref` (the id it had where it was exported, meaningful only inside the archive; a
reference no listed object has is something deleted before the export).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

import orjson
from fractional_indexing import FIError, validate_order_key
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator

from laneway.comments.schemas import Body
from laneway.kit.schemas import MADE_ONE_LINE, MAX_INT32, Email, Int32, IsoDate
from laneway.labels.schemas import Color
from laneway.labels.schemas import LabelName as ApiLabelName
from laneway.models import Role, StatusCategory
from laneway.models.event_types import EventType
from laneway.models.types import RANK_LENGTH
from laneway.projects.schemas import Description as ProjectDescription
from laneway.projects.schemas import ProjectKey
from laneway.projects.schemas import ProjectName as ApiProjectName
from laneway.statuses.schemas import StatusName as ApiStatusName
from laneway.statuses.schemas import WipLimit
from laneway.tasks.schemas import MAX_LABELS, Description, Estimate, PriorityName
from laneway.tasks.schemas import Title as ApiTitle
from laneway.transfer import stream
from laneway.transfer.errors import TransferError

FORMAT = "laneway.project"
VERSION = 1

# Bounds on one archive, far above real projects: an import is one transaction, and a file
# claiming millions of rows is refused before any of it is written.
MAX_ARCHIVE_BYTES = 512 * 1024 * 1024
MAX_STATUSES = 100
MAX_LABELS_PER_PROJECT = 1_000
MAX_MEMBERS = 10_000
MAX_TASKS = 200_000
MAX_COMMENTS = 1_000_000
MAX_EVENTS = 5_000_000
MAX_EVENT_BYTES = 1024 * 1024  # one event's changes and snapshot, as JSON

# the API's names and titles, made one line where the API would refuse them (an archive or a
# Trello export written elsewhere imports whole)
ProjectName = Annotated[ApiProjectName, MADE_ONE_LINE]
StatusName = Annotated[ApiStatusName, MADE_ONE_LINE]
LabelName = Annotated[ApiLabelName, MADE_ONE_LINE]
Title = Annotated[ApiTitle, MADE_ONE_LINE]
Number = Annotated[int, Field(ge=1, le=MAX_INT32)]
Ref = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]
Version = Annotated[int, Field(ge=1, le=MAX_INT32)]
PersonName = Annotated[str, MADE_ONE_LINE, Field(max_length=200)]
RoleIn = Annotated[Role, Field(strict=False)]
CategoryIn = Annotated[StatusCategory, Field(strict=False)]
PriorityIn = Annotated[PriorityName, Field(strict=False)]
Rank = Annotated[str, Field(min_length=1, max_length=RANK_LENGTH)]


class _Model(BaseModel):
    # strict: a number is not a string and `false` is no integer; unknown fields are typos or a
    # newer format, and refused either way
    model_config = ConfigDict(extra="forbid", strict=True)


class ProjectIn(_Model):
    ref: Ref | None = None
    key: ProjectKey
    name: ProjectName
    description: ProjectDescription = ""
    archived_at: AwareDatetime | None = None
    created_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None
    # the highest task number ever given (deleted tasks' numbers are not given again)
    last_task_number: Annotated[int, Field(ge=0, le=MAX_INT32)] = 0


class MemberIn(_Model):
    email: Email
    name: PersonName = ""
    role: RoleIn
    created_at: AwareDatetime | None = None


class StatusIn(_Model):
    ref: Ref
    name: StatusName
    category: CategoryIn
    position: Int32
    wip_limit: WipLimit | None = None
    created_at: AwareDatetime | None = None


class LabelIn(_Model):
    ref: Ref
    name: LabelName
    color: Color
    created_at: AwareDatetime | None = None


class TaskIn(_Model):
    number: Number
    title: Title
    description: Description = ""
    status: StatusName
    assignee: Email | None = None
    reporter: Email | None = None  # None: the importing user
    priority: PriorityIn = PriorityName.none
    labels: Annotated[list[LabelName], Field(max_length=MAX_LABELS)] = Field(default_factory=list)
    due_date: IsoDate | None = None
    estimate: Estimate | None = None
    parent: Number | None = None
    rank: Rank
    archived_at: AwareDatetime | None = None
    version: Version = 1
    created_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None

    @field_validator("rank")
    @classmethod
    def _rank(cls, rank: str) -> str:
        try:
            validate_order_key(rank)
        except (FIError, ValueError, KeyError, IndexError):
            raise ValueError("not a rank (a fractional index key)") from None
        return rank


class CommentIn(_Model):
    ref: Ref
    task: Number
    author: Email | None = None  # None: the importing user
    body: Body
    created_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None


class EventIn(_Model):
    seq: Annotated[int, Field(ge=1)]
    type: EventType
    actor: Email | None = None
    # what the event is about: an email (member events), a task number, or a ref
    subject: str | int | None = None
    task: Number | None = None
    changes: dict[str, Any] = Field(default_factory=dict)
    snapshot: dict[str, Any] | None = None
    created_at: AwareDatetime


class HeaderIn(_Model):
    """What an archive says besides its collections."""

    format: Literal["laneway.project"]
    version: Literal[1]
    exported_at: AwareDatetime | None = None
    laneway_version: str | None = None
    counts: dict[str, int] | None = None
    project: ProjectIn


class ArchiveIn(HeaderIn):
    members: Annotated[list[MemberIn], Field(max_length=MAX_MEMBERS)] = Field(default_factory=list)
    statuses: Annotated[list[StatusIn], Field(min_length=1, max_length=MAX_STATUSES)]
    labels: Annotated[list[LabelIn], Field(max_length=MAX_LABELS_PER_PROJECT)] = Field(
        default_factory=list
    )
    tasks: Annotated[list[TaskIn], Field(max_length=MAX_TASKS)] = Field(default_factory=list)
    comments: Annotated[list[CommentIn], Field(max_length=MAX_COMMENTS)] = Field(
        default_factory=list
    )
    # empty: the import writes a fresh history (project, members, labels, tasks, comments)
    events: Annotated[list[EventIn], Field(max_length=MAX_EVENTS)] = Field(default_factory=list)


# each collection: the model of one item, and the most items an archive may hold
COLLECTIONS: dict[str, tuple[type[_Model], int]] = {
    "members": (MemberIn, MAX_MEMBERS),
    "statuses": (StatusIn, MAX_STATUSES),
    "labels": (LabelIn, MAX_LABELS_PER_PROJECT),
    "tasks": (TaskIn, MAX_TASKS),
    "comments": (CommentIn, MAX_COMMENTS),
    "events": (EventIn, MAX_EVENTS),
}
NOT_AN_ARCHIVE = f"not a Laneway project archive (its format is not {FORMAT!r})"


def parse(raw: bytes) -> ArchiveIn:
    """The archive, validated item by item as it is read (stream.py), or a TransferError
    saying what is wrong: the first item over a limit, or invalid, ends the reading."""
    header: dict[str, Any] = {}
    items: dict[str, list[Any]] = {key: [] for key in COLLECTIONS}
    limits = {key: most for key, (_model, most) in COLLECTIONS.items()}
    try:
        for entry in stream.entries(raw, "archive", limits):
            if entry.value is stream.STARTED:
                continue
            if entry.index is not None:
                model = COLLECTIONS[entry.key][0]
                items[entry.key].append(_valid(model, entry.value, (entry.key, entry.index)))
                continue
            if entry.key == "format" and entry.value != FORMAT:
                raise TransferError(NOT_AN_ARCHIVE)
            if entry.key == "version" and entry.value != VERSION:
                raise _unread_version(entry.value)
            if entry.key in COLLECTIONS:  # present, and not a list
                raise TransferError(f"the archive is invalid: {entry.key}: Input should be a list")
            if entry.key not in HeaderIn.model_fields:
                if "format" not in header:
                    raise TransferError(NOT_AN_ARCHIVE)
                raise TransferError(
                    f"the archive is invalid: {entry.key}: Extra inputs are not permitted"
                )
            header[entry.key] = entry.value
    except stream.NotAnObject:
        raise TransferError(NOT_AN_ARCHIVE) from None
    if header.get("format") != FORMAT:
        raise TransferError(NOT_AN_ARCHIVE)
    if header.get("version") != VERSION:
        raise _unread_version(header.get("version"))
    if not items["statuses"]:
        raise TransferError("the archive is invalid: statuses: List should have at least 1 item")
    found = _valid(HeaderIn, header, ())
    fields: dict[str, Any] = dict(found) | items  # every part validated above
    return ArchiveIn.model_construct(**fields)


def _unread_version(version: object) -> TransferError:
    return TransferError(
        f"archive version {version!r} is not one this laneway reads (it reads version {VERSION})"
    )


M = TypeVar("M", bound=BaseModel)


def _valid(model: type[M], value: Any, where: tuple[int | str, ...]) -> M:
    """Validated from JSON, as a whole file was: strict, dates as ISO strings."""
    try:
        return model.model_validate_json(orjson.dumps(value))
    except orjson.JSONEncodeError:
        raise TransferError(
            f"the archive is invalid: {_path(where)}: a number out of range"
        ) from None
    except ValidationError as error:
        raise TransferError(f"the archive is invalid: {describe(error, where)}") from None


def describe(error: ValidationError, where: tuple[int | str, ...] = (), limit: int = 3) -> str:
    """The first few problems as `where: what`, without the offending values (they may be
    huge or private); `where` is the place of what was validated in its document."""
    problems = [f"{_path(where + e['loc'])}: {e['msg']}" for e in error.errors()[:limit]]
    more = error.error_count() - len(problems)
    return "; ".join(problems) + (f" (and {more} more)" if more > 0 else "")


def _path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "the document"
