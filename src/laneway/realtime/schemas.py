"""The messages of a project's live socket, for the OpenAPI document (which has no WebSocket
operations): what `wire` writes, described so clients can generate types from it."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, TypeAdapter
from typing_extensions import TypeAliasType

from laneway.activity.schemas import AnyEventOut


class LivePresence(BaseModel):
    """Who is watching the board; sent on connect and whenever someone comes or goes."""

    type: Literal["presence"]
    viewers: list[int] = Field(description="User ids watching now.")
    changed: int | None = Field(None, description="The user who came or went, if any.")
    here: bool | None = Field(None, description="Whether `changed` came (true) or went.")


class LiveReload(BaseModel):
    """Too far behind to catch up by events: load the board again and follow from its seq.
    The socket closes with code 4009 after it."""

    type: Literal["reload"]
    seq: int = Field(description="The project's last seq when it was sent.")


LiveMessage = TypeAliasType(
    "LiveMessage",
    Annotated[AnyEventOut | LivePresence | LiveReload, Field(discriminator="type")],
)
"""One message on `WebSocket /api/v1/projects/{project_id}/live`: each committed event (the
activity log's item) in seq order with no gap, resumable with `?after=<seq>`, and notices
between them."""
LIVE_MESSAGE = TypeAdapter(LiveMessage)
