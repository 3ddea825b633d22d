"""Lists paged by row id: the cursor holds the last id shown, signed for the one list it was
made for (its scope: which task's comments, whose inbox, with which filter), so a cursor
from another list is refused (kit/cursor.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from laneway.kit.cursor import CursorCodec

T = TypeVar("T")


async def by_id(
    codec: CursorCodec,
    scope: str,
    cursor: str | None,
    limit: int,
    fetch: Callable[[int | None, int], Awaitable[Sequence[T]]],
    last_id: Callable[[T], int],
) -> tuple[list[T], str | None]:
    """Up to `limit` rows and the cursor of the next page (None after the last one).

    `fetch(position, count)` reads up to `count` rows past the id `position` (None: from the
    start), in the list's order; it is asked for one row more than the page, so that the
    last page is known without another query."""
    position = None if cursor is None else int(codec.decode(scope, cursor)[0])
    rows = await fetch(position, limit + 1)
    if len(rows) <= limit:
        return list(rows), None
    return list(rows[:limit]), codec.encode(scope, [last_id(rows[limit - 1])])
