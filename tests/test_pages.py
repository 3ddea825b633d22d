"""Lists paged by row id (kit/pages.py): each row once, the last page known without another
read, and a cursor valid only for the list it was made for."""

from __future__ import annotations

import pytest

from laneway.errors import UnprocessableContent
from laneway.kit import pages
from laneway.kit.cursor import CursorCodec

CODEC = CursorCodec(lambda: b"k" * 32)


class Rows:
    """Ids 1..n in order, recording what each page asked for."""

    def __init__(self, n: int) -> None:
        self.ids = list(range(1, n + 1))
        self.asked: list[tuple[int | None, int]] = []

    async def fetch(self, after: int | None, count: int) -> list[int]:
        self.asked.append((after, count))
        return [i for i in self.ids if after is None or i > after][:count]


async def _walk(rows: Rows, limit: int) -> list[list[int]]:
    seen, cursor = [], None
    while True:
        page, cursor = await pages.by_id(CODEC, "list:1", cursor, limit, rows.fetch, int)
        seen.append(page)
        if cursor is None:
            return seen


async def test_each_row_once_in_pages_of_the_limit() -> None:
    rows = Rows(5)
    assert await _walk(rows, 2) == [[1, 2], [3, 4], [5]]
    assert rows.asked == [(None, 3), (2, 3), (4, 3)]


async def test_a_full_last_page_needs_no_empty_page_after_it() -> None:
    rows = Rows(4)
    assert await _walk(rows, 2) == [[1, 2], [3, 4]]
    assert await _walk(Rows(0), 2) == [[]]


async def test_a_cursor_of_another_list_is_refused() -> None:
    _, cursor = await pages.by_id(CODEC, "list:1", None, 1, Rows(3).fetch, int)
    assert cursor is not None
    with pytest.raises(UnprocessableContent):
        await pages.by_id(CODEC, "list:2", cursor, 1, Rows(3).fetch, int)
