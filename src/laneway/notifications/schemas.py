"""What the inbox, watching and notification levels take and answer."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import Field

from laneway.kit.schemas import Id, RequestModel, ResponseModel
from laneway.models import NotificationKind, NotifyLevel


class ProjectRefOut(ResponseModel):
    id: int
    key: str
    name: str


class TaskRefOut(ResponseModel):
    id: int
    number: str = Field(examples=["WEB-42"])
    title: str


class ActorOut(ResponseModel):
    id: int
    name: str


class NotificationOut(ResponseModel):
    id: int
    kind: NotificationKind
    project: ProjectRefOut
    task: TaskRefOut | None
    actor: ActorOut | None = Field(description="Who did it; null for due-date reminders.")
    excerpt: str = Field(description="A comment's first words, or a status's name.")
    due_on: date | None
    created_at: datetime
    read: bool


class NotificationPage(ResponseModel):
    items: list[NotificationOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for older ones.")
    unread: int = Field(description="Unread notifications in all.")


class InboxChange(ResponseModel):
    newest: int = Field(description="Your newest notification's id (0: none yet).")
    unread: int


class MarkReadIn(RequestModel):
    up_to: Id | None = Field(
        default=None,
        description="Only those up to this id: what the reader saw, not what arrived since.",
    )


class MarkedOut(ResponseModel):
    marked: int
    unread: int


class LevelIn(RequestModel):
    level: Annotated[NotifyLevel, Field(strict=False)]  # strict models take no enum strings


class LevelOut(ResponseModel):
    level: NotifyLevel = Field(
        description="all: every comment and status change; participating (default): tasks "
        "you watch, and when you are assigned or mentioned; none."
    )


class WatcherOut(ResponseModel):
    user_id: int
    name: str
    username: str


class WatchingOut(ResponseModel):
    watching: bool
    watchers: list[WatcherOut]
